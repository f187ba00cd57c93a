"""TLS for PostgreSQL connections, written in the database URL as libpq takes it:
`postgresql://user@db.example.com/tessera?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem`.

asyncpg, the driver, takes one `ssl` argument instead of libpq's parameters (and refuses them in
the URL), so they are read here and turned into that argument:
- `sslmode`: disable | allow | prefer | require | verify-ca | verify-full, with libpq's meaning:
  `require` encrypts without checking the server's certificate, unless `sslrootcert` is given
  (then, as libpq does, it checks the certificate as verify-ca); `verify-ca` checks it against
  the root certificates; `verify-full` also checks the host name. Without `sslmode`, the
  driver's default (prefer: TLS when the server offers it).
- `sslrootcert`: the CA file (PEM) the server's certificate must chain to (default: the
  system's trust store);
- `sslcert`, `sslkey`: a client certificate and its key, for servers that ask for one.
A CA or certificate file that cannot be read stops the start with its name, before any
connection is tried; a server that does not offer TLS when it is required fails the connection
with the driver's message ("rejected SSL upgrade")."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from tessera.errors import InvalidInput

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
LIBPQ_TLS_PARAMETERS = ("sslmode", "sslrootcert", "sslcert", "sslkey")


@dataclass(frozen=True, slots=True)
class PostgresTls:
    mode: str | None = None
    root_cert: str | None = None
    cert: str | None = None
    key: str | None = None

    def ssl_argument(self) -> ssl.SSLContext | str | bool | None:
        """asyncpg's `ssl` argument; None leaves the driver's default."""
        if self.mode is None and not (self.root_cert or self.cert):
            return None
        mode = self.mode or "verify-ca"  # a CA or a client certificate without a mode: use them
        if mode == "disable":
            return False
        if mode in ("allow", "prefer") and not self.cert:
            return mode
        verify = mode in ("verify-ca", "verify-full") or (mode == "require" and self.root_cert is not None)
        context = ssl.create_default_context(cafile=_readable(self.root_cert, "sslrootcert")) if verify else (
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        context.check_hostname = mode == "verify-full"
        context.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
        if self.cert:
            context.load_cert_chain(_readable(self.cert, "sslcert"), _readable(self.key, "sslkey") if self.key else None)
        return context


def _readable(path: str | None, name: str) -> str | None:
    if path is not None and not Path(path).is_file():
        raise InvalidInput(f"The database URL's {name} file '{path}' cannot be read.", field=name)
    return path


def split_postgres_tls(url: str | URL) -> tuple[URL, PostgresTls]:
    """The URL without libpq's TLS parameters, and the settings they make."""
    parsed = make_url(url)
    query = dict(parsed.query)
    values = {name: query.pop(name, None) for name in LIBPQ_TLS_PARAMETERS}
    values = {name: value[-1] if isinstance(value, tuple) else value for name, value in values.items()}
    mode = values["sslmode"]
    if mode is not None and mode not in SSL_MODES:
        raise InvalidInput(f"The database URL's sslmode must be one of {', '.join(SSL_MODES)}, not '{mode}'.",
                           field="sslmode")
    tls = PostgresTls(mode=mode, root_cert=values["sslrootcert"], cert=values["sslcert"], key=values["sslkey"])
    return parsed.set(query=query), tls


def engine_arguments(url: str) -> tuple[URL | str, dict[str, Any]]:
    """(url, connect_args) for create_async_engine: a PostgreSQL URL's TLS parameters become
    asyncpg's `ssl` argument; any other URL is passed as it is."""
    if not url.startswith("postgresql"):
        return url, {}
    clean, tls = split_postgres_tls(url)
    argument = tls.ssl_argument()
    return clean, ({} if argument is None else {"ssl": argument})
