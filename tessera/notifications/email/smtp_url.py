"""`TESSERA_SMTP_URL` read once: `smtp://user:pass@host:587?starttls=true` (STARTTLS upgrade),
`smtps://user:pass@host:465` (TLS from the first byte), `smtp://host:25` (no TLS, no auth).
User and password are percent-decoded, so a password may hold any character."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

_TRUE = {"1", "true", "yes", "on"}


class BadSmtpUrl(ValueError):
    """The setting cannot be used; the message names TESSERA_SMTP_URL and what is wrong."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    hostname: str
    port: int
    use_tls: bool
    start_tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise BadSmtpUrl(f"TESSERA_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme!r}")
        if not parts.hostname:
            raise BadSmtpUrl("TESSERA_SMTP_URL names no host")
        query = {key.lower(): values[-1].lower() for key, values in parse_qs(parts.query).items()}
        use_tls = parts.scheme == "smtps"
        start_tls = query.get("starttls", "") in _TRUE
        if use_tls and start_tls:
            raise BadSmtpUrl("TESSERA_SMTP_URL: smtps:// is TLS already; starttls=true applies to smtp:// only")
        try:
            port = parts.port or (465 if use_tls else 587 if start_tls else 25)
        except ValueError as error:
            raise BadSmtpUrl(f"TESSERA_SMTP_URL: {error}") from error
        return cls(hostname=parts.hostname, port=port, use_tls=use_tls, start_tls=start_tls,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password is not None else None)
