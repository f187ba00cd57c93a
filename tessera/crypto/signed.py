"""Signed values for links that act without a session (one-click unsubscribe, and the like):
a compact JSON payload with an HMAC-SHA256 over it and a purpose, keyed by the server's secret
key. Not encrypted: never put a secret in the payload."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


class BadSignature(ValueError):
    """The token was altered, made for another purpose, or has expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret_key: str, purpose: str, body: str) -> str:
    key = hashlib.sha256(f"tessera-signed:{purpose}:{secret_key}".encode()).digest()
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def sign(secret_key: str, purpose: str, payload: dict[str, Any], *, max_age_seconds: int | None = None) -> str:
    """A URL-safe token carrying `payload`, valid only for `purpose` (and until `max_age_seconds` from now)."""
    data = dict(payload)
    if max_age_seconds is not None:
        data["exp"] = int(time.time()) + max_age_seconds
    body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret_key, purpose, body)}"


def verify(secret_key: str, purpose: str, token: str) -> dict[str, Any]:
    """The payload of a token `sign` made for this purpose; BadSignature otherwise."""
    body, _, mac = token.partition(".")
    if not body or not mac or not hmac.compare_digest(mac, _mac(secret_key, purpose, body)):
        raise BadSignature("the link is not valid")
    try:
        data = json.loads(_unb64(body))
    except ValueError as error:
        raise BadSignature("the link is not valid") from error
    if not isinstance(data, dict):
        raise BadSignature("the link is not valid")
    if "exp" in data and int(data["exp"]) < time.time():
        raise BadSignature("the link has expired")
    data.pop("exp", None)
    return data
