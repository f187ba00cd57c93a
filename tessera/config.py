"""One typed settings object, read once at the edge and passed in, never built at import."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_SQLITE_PATH = Path("data") / "tessera.db"


def normalize_database_url(url: str) -> str:
    """Map the plain URL forms users type onto the async drivers Tessera runs on."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith(("postgresql+psycopg://", "postgresql+psycopg2://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    redis_url: str | None = None
    environment: str = "local"
    secret_key: str = "dev-insecure-secret-key-change-me"
    # Keys that came before `secret_key`: stored secrets encrypted under them still decrypt
    # until `tessera rotate-secrets` re-encrypts them under the current key.
    previous_secret_keys: tuple[str, ...] = ()
    base_url: str = "http://127.0.0.1:8000"
    max_request_bytes: int = 2 * 1024 * 1024
    outbound_allow_private: bool = False
    session_cookie_secure: bool = False
    session_ttl_hours: int = 24 * 14
    database_pool_size: int = 10
    # PostgreSQL: request transactions act as the non-owner role tessera_tenant within their
    # organization, under row-level security (tessera.db.row_security). SQLite ignores it.
    database_row_security: bool = True
    # Live updates: Redis channel and key prefix (several deployments, or test runs, may share one
    # Redis), and how long a live connection's browse-permission check is trusted.
    live_channel_prefix: str = "tessera"
    live_permission_ttl_seconds: float = 5.0
    # How long another process may trust an API token's actor after reading it (tenancy.auth.PrincipalCache);
    # the process that commits a revocation or a user's or catalog's change drops it at once. 0: off.
    auth_cache_seconds: float = 2.0
    # A request of an organization already past its rate limit is answered 429 this much later
    # (tessera.edge.early_refusal): its client has Retry-After (at least 1 s) to wait anyway, and
    # one ignoring it in a tight loop then sends a few a second, not thousands. 0: at once.
    rate_limit_refusal_delay_ms: int = 100
    # Failed sign-ins (tenancy.throttle): an account (email) with this many failures within the
    # window is locked for `login_lockout_seconds`; an address with its (higher) number has its
    # failures answered 429 as long (valid credentials still pass). Redis shares the counts when set.
    login_account_failures: int = 10
    login_address_failures: int = 100
    login_failure_window_seconds: float = 15 * 60
    login_lockout_seconds: float = 15 * 60
    # Slow clients (cli.slow_clients): a request's headers must arrive within this many seconds,
    # and its body may pause at most this long between two reads (nginx's client_header_timeout
    # and client_body_timeout).
    request_header_timeout_seconds: float = 10.0
    request_body_timeout_seconds: float = 30.0
    # Attachments: a file's size limit, and where objects live (a local directory unless an S3
    # bucket is named; the directory defaults to `attachments/` beside the SQLite file).
    attachment_max_bytes: int = 25 * 1024 * 1024
    # The most an issue's attachments may add up to for its "download all" ZIP (streamed, so this
    # bounds the time a download holds a connection, not memory).
    attachment_zip_max_bytes: int = 1024 * 1024 * 1024
    attachments_dir: str | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str | None = None
    # Deliveries (tessera.delivery): attempts before a delivery is dead, and how many a worker
    # sends at once. `run_worker_in_server`: `tessera serve` runs the delivery pipeline itself
    # (`tessera serve` turns it on for SQLite, where one process is the whole deployment).
    delivery_max_attempts: int = 8
    delivery_concurrency: int = 64
    run_worker_in_server: bool = False
    # Housekeeping (tessera.notifications.housekeeping): delivered and dead deliveries (with their
    # attempts) and the fan-out's record of handled events are deleted this many days after they
    # were created. 0 keeps them forever.
    delivery_retention_days: float = 30.0
    # Notifications: the batching window (changes to one issue within it make one message per
    # recipient and channel), mail, and Web Push's VAPID key pair.
    notify_batch_seconds: float = 120.0
    smtp_url: str | None = None
    mail_from: str = "Tessera <tessera@localhost>"
    vapid_private_key: str | None = None
    vapid_public_key: str | None = None
    vapid_subject: str = "mailto:admin@localhost"
    # /metrics answers loopback scrapers, an organization admin's token, and this bearer token
    # (for a Prometheus that scrapes from another host without an account).
    metrics_token: str | None = None
    # SQLite only (tessera.db.statistics): how often the server refreshes the planner's statistics.
    statistics_refresh_seconds: float = 3600.0
    # Email in (tessera.integrations.mail_in): the domain of projects' addresses
    # (`<org key>-<project key>@<domain>`; the base URL's host when unset), the largest message
    # accepted, the mailbox polled (imap[s]://user:pass@host[:port]/MAILBOX), and the authserv-ids
    # of the relays whose Authentication-Results header (SPF/DKIM/DMARC) is trusted; with one set,
    # mail without a passing result from that relay is refused.
    mail_in_domain: str | None = None
    mail_in_max_bytes: int = 25 * 1024 * 1024
    imap_url: str | None = None
    imap_poll_seconds: float = 60.0
    mail_in_trusted_authserv_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "database_url", normalize_database_url(self.database_url))
        if self.attachment_max_bytes < 1:
            raise ValueError("TESSERA_ATTACHMENT_MAX_BYTES must be a positive number of bytes")
        if self.attachment_zip_max_bytes < 1:
            raise ValueError("TESSERA_ATTACHMENT_ZIP_MAX_BYTES must be a positive number of bytes")
        for name in ("login_account_failures", "login_address_failures", "login_failure_window_seconds",
                     "login_lockout_seconds", "request_header_timeout_seconds", "request_body_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"TESSERA_{name.upper()} must be a positive number")
        if self.delivery_max_attempts < 1 or self.delivery_concurrency < 1:
            raise ValueError("TESSERA_DELIVERY_MAX_ATTEMPTS and TESSERA_DELIVERY_CONCURRENCY must be positive")
        if not 0 <= self.delivery_retention_days <= 36_500:
            raise ValueError("TESSERA_DELIVERY_RETENTION_DAYS must be from 0 (keep forever) to 36500")
        if self.notify_batch_seconds < 0:
            raise ValueError("TESSERA_NOTIFY_BATCH_SECONDS must not be negative")
        if self.mail_in_max_bytes < 1024 or self.imap_poll_seconds <= 0:
            raise ValueError("TESSERA_MAIL_IN_MAX_BYTES must be at least 1024 and TESSERA_IMAP_POLL_SECONDS positive")
        if self.environment != "local" and self.secret_key.startswith("dev-insecure"):
            raise ValueError("TESSERA_SECRET_KEY must be set outside the local environment")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def attachments_root(self) -> Path:
        if self.attachments_dir:
            return Path(self.attachments_dir)
        if self.is_sqlite and ":///" in self.database_url and not self.database_url.endswith(":memory:"):
            return Path(self.database_url.split(":///", 1)[1]).parent / "attachments"
        return DEFAULT_SQLITE_PATH.parent / "attachments"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("TESSERA_DATABASE_URL"):
            values["database_url"] = env["TESSERA_DATABASE_URL"]
        if env.get("TESSERA_REDIS_URL"):
            values["redis_url"] = env["TESSERA_REDIS_URL"]
        if env.get("TESSERA_ENV"):
            values["environment"] = env["TESSERA_ENV"]
        if env.get("TESSERA_SECRET_KEY"):
            values["secret_key"] = env["TESSERA_SECRET_KEY"]
        if env.get("TESSERA_PREVIOUS_SECRET_KEYS"):
            values["previous_secret_keys"] = tuple(
                key.strip() for key in env["TESSERA_PREVIOUS_SECRET_KEYS"].split(",") if key.strip())
        if env.get("TESSERA_BASE_URL"):
            values["base_url"] = env["TESSERA_BASE_URL"].rstrip("/")
        if env.get("TESSERA_OUTBOUND_ALLOW_PRIVATE"):
            values["outbound_allow_private"] = env["TESSERA_OUTBOUND_ALLOW_PRIVATE"].lower() in {"1", "true", "yes"}
        if env.get("TESSERA_SESSION_COOKIE_SECURE"):
            values["session_cookie_secure"] = env["TESSERA_SESSION_COOKIE_SECURE"].lower() in {"1", "true", "yes"}
        if env.get("TESSERA_DB_POOL_SIZE"):
            values["database_pool_size"] = int(env["TESSERA_DB_POOL_SIZE"])
        if env.get("TESSERA_DATABASE_ROW_SECURITY"):
            values["database_row_security"] = env["TESSERA_DATABASE_ROW_SECURITY"].lower() in {"1", "true", "yes", "on"}
        if env.get("TESSERA_LIVE_CHANNEL_PREFIX"):
            values["live_channel_prefix"] = env["TESSERA_LIVE_CHANNEL_PREFIX"]
        if env.get("TESSERA_LIVE_PERMISSION_TTL"):
            values["live_permission_ttl_seconds"] = float(env["TESSERA_LIVE_PERMISSION_TTL"])
        if env.get("TESSERA_AUTH_CACHE_SECONDS"):
            values["auth_cache_seconds"] = float(env["TESSERA_AUTH_CACHE_SECONDS"])
        if env.get("TESSERA_RATE_LIMIT_REFUSAL_DELAY_MS"):
            values["rate_limit_refusal_delay_ms"] = int(env["TESSERA_RATE_LIMIT_REFUSAL_DELAY_MS"])
        for name in ("login_account_failures", "login_address_failures"):
            if env.get(f"TESSERA_{name.upper()}"):
                values[name] = int(env[f"TESSERA_{name.upper()}"])
        for name in ("login_failure_window_seconds", "login_lockout_seconds", "request_header_timeout_seconds",
                     "request_body_timeout_seconds"):
            if env.get(f"TESSERA_{name.upper()}"):
                values[name] = float(env[f"TESSERA_{name.upper()}"])
        for name in ("attachment_max_bytes", "attachment_zip_max_bytes"):
            if env.get(f"TESSERA_{name.upper()}"):
                values[name] = int(env[f"TESSERA_{name.upper()}"])
        for name in ("attachments_dir", "s3_bucket", "s3_endpoint_url", "s3_access_key", "s3_secret_key", "s3_region"):
            if env.get(f"TESSERA_{name.upper()}"):
                values[name] = env[f"TESSERA_{name.upper()}"]
        for name in ("delivery_max_attempts", "delivery_concurrency"):
            if env.get(f"TESSERA_{name.upper()}"):
                values[name] = int(env[f"TESSERA_{name.upper()}"])
        if env.get("TESSERA_RUN_WORKER_IN_SERVER"):
            values["run_worker_in_server"] = env["TESSERA_RUN_WORKER_IN_SERVER"].lower() in {"1", "true", "yes"}
        if env.get("TESSERA_DELIVERY_RETENTION_DAYS"):
            values["delivery_retention_days"] = float(env["TESSERA_DELIVERY_RETENTION_DAYS"])
        if env.get("TESSERA_NOTIFY_BATCH_SECONDS"):
            values["notify_batch_seconds"] = float(env["TESSERA_NOTIFY_BATCH_SECONDS"])
        for name in ("smtp_url", "mail_from", "vapid_private_key", "vapid_public_key", "vapid_subject",
                     "metrics_token"):
            if env.get(f"TESSERA_{name.upper()}"):
                values[name] = env[f"TESSERA_{name.upper()}"]
        for name in ("mail_in_domain", "imap_url"):
            if env.get(f"TESSERA_{name.upper()}"):
                values[name] = env[f"TESSERA_{name.upper()}"]
        if env.get("TESSERA_MAIL_IN_MAX_BYTES"):
            values["mail_in_max_bytes"] = int(env["TESSERA_MAIL_IN_MAX_BYTES"])
        if env.get("TESSERA_IMAP_POLL_SECONDS"):
            values["imap_poll_seconds"] = float(env["TESSERA_IMAP_POLL_SECONDS"])
        if env.get("TESSERA_MAIL_IN_TRUSTED_AUTHSERV_IDS"):
            values["mail_in_trusted_authserv_ids"] = tuple(
                name.strip().lower() for name in env["TESSERA_MAIL_IN_TRUSTED_AUTHSERV_IDS"].split(",") if name.strip())
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
