"""Each host's way of proving a request came from it, checked against the raw body before any
parsing, and the header naming its delivery (remembered per connection to refuse replays).

GitHub signs with HMAC-SHA256 in `X-Hub-Signature-256: sha256=<hex>`; Bitbucket Cloud the same
in `X-Hub-Signature`; Gitea (and Forgejo) put the bare hex in `X-Gitea-Signature`
(`X-Forgejo-Signature`); GitLab sends the secret itself in `X-Gitlab-Token`. Comparisons run in
constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from tessera.errors import NotAuthenticated


class SignatureRefused(NotAuthenticated):
    """The request is not signed, or not by this connection's secret: 401."""

    code = "signature_refused"


@dataclass(frozen=True)
class HostScheme:
    signature_headers: tuple[str, ...]
    prefix: str  # "sha256=" or "" (bare hex)
    delivery_headers: tuple[str, ...]
    event_headers: tuple[str, ...]
    # GitLab: the header carries the secret itself, not an HMAC of the body.
    verbatim: bool = False


SCHEMES: dict[str, HostScheme] = {
    "github": HostScheme(("x-hub-signature-256",), "sha256=", ("x-github-delivery",), ("x-github-event",)),
    "gitlab": HostScheme(("x-gitlab-token",), "", ("x-gitlab-event-uuid", "x-gitlab-webhook-uuid", "idempotency-key"),
                         ("x-gitlab-event",), verbatim=True),
    "bitbucket": HostScheme(("x-hub-signature",), "sha256=", ("x-request-uuid",), ("x-event-key",)),
    "gitea": HostScheme(("x-gitea-signature", "x-forgejo-signature"), "", ("x-gitea-delivery", "x-forgejo-delivery"),
                        ("x-gitea-event", "x-forgejo-event")),
}


def _first(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value:
            return value.strip()
    return None


def sign(provider: str, secret: str, body: bytes) -> dict[str, str]:
    """The signature header a host would send (for tests and the benchmark)."""
    scheme = SCHEMES[provider]
    if scheme.verbatim:
        return {"X-Gitlab-Token": secret}
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {scheme.signature_headers[0]: scheme.prefix + digest}


def check_signature(provider: str, secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """`headers`: looked up by lower-case name. Raises SignatureRefused naming the header."""
    scheme = SCHEMES[provider]
    given = _first(headers, scheme.signature_headers)
    where = scheme.signature_headers[0]
    if given is None:
        raise SignatureRefused(f"The request is not signed: the {where} header is missing.", field=where)
    if scheme.verbatim:
        expected = secret
    else:
        expected = scheme.prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise SignatureRefused(f"The {where} header does not match this connection's secret.", field=where)


def delivery_id(provider: str, headers: Mapping[str, str]) -> str | None:
    return _first(headers, SCHEMES[provider].delivery_headers)


def event_name(provider: str, headers: Mapping[str, str]) -> str | None:
    return _first(headers, SCHEMES[provider].event_headers)
