"""Settings are read once from the environment (or given): the URL forms users type map onto the
async drivers, numbers and flags are parsed, impossible values refused at once, and the
attachment directory follows the SQLite file unless named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.config import Settings, normalize_database_url


@pytest.mark.parametrize(("typed", "used"), [
    ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("sqlite:///data/t.db", "sqlite+aiosqlite:///data/t.db"),
    ("sqlite+aiosqlite:///t.db", "sqlite+aiosqlite:///t.db"),
])
def test_database_urls_map_onto_the_async_drivers(typed: str, used: str) -> None:
    assert normalize_database_url(typed) == used
    assert Settings(database_url=typed).database_url == used


def test_the_environment_is_read_into_typed_values() -> None:
    settings = Settings.from_env({
        "TESSERA_DATABASE_URL": "postgres://u@h/db", "TESSERA_BASE_URL": "https://tessera.example/",
        "TESSERA_OUTBOUND_ALLOW_PRIVATE": "Yes", "TESSERA_SESSION_COOKIE_SECURE": "0",
        "TESSERA_DB_POOL_SIZE": "3", "TESSERA_LIVE_PERMISSION_TTL": "1.5", "TESSERA_LOGIN_ACCOUNT_FAILURES": "4",
        "TESSERA_LOGIN_LOCKOUT_SECONDS": "30", "TESSERA_ATTACHMENT_MAX_BYTES": "1000", "TESSERA_S3_BUCKET": "files",
        "TESSERA_REDIS_URL": "", "TESSERA_DELIVERY_RETENTION_DAYS": "7.5", "UNRELATED": "x"})
    assert settings.database_url == "postgresql+asyncpg://u@h/db" and settings.base_url == "https://tessera.example"
    assert settings.outbound_allow_private is True and settings.session_cookie_secure is False
    assert (settings.database_pool_size, settings.live_permission_ttl_seconds) == (3, 1.5)
    assert (settings.login_account_failures, settings.login_lockout_seconds) == (4, 30.0)
    assert (settings.attachment_max_bytes, settings.s3_bucket, settings.redis_url) == (1000, "files", None)
    assert settings.delivery_retention_days == 7.5 and Settings().delivery_retention_days == 30
    overridden = Settings.from_env({"TESSERA_LIVE_CHANNEL_PREFIX": "env"}, live_channel_prefix="run42", base_url=None)
    assert (overridden.live_channel_prefix, overridden.base_url) == ("run42", Settings().base_url)
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize("environ", [
    {"TESSERA_ATTACHMENT_MAX_BYTES": "0"}, {"TESSERA_LOGIN_ACCOUNT_FAILURES": "-1"},
    {"TESSERA_REQUEST_BODY_TIMEOUT_SECONDS": "0"}, {"TESSERA_ENV": "production"},
    {"TESSERA_DELIVERY_RETENTION_DAYS": "-1"}, {"TESSERA_MAIL_IN_MAX_BYTES": "10"},
    {"TESSERA_IMAP_POLL_SECONDS": "0"},
])
def test_impossible_settings_are_refused_when_read(environ: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="TESSERA_"):
        Settings.from_env(environ)


def test_email_in_settings_are_read() -> None:
    settings = Settings.from_env({"TESSERA_MAIL_IN_DOMAIN": "tickets.acme.test", "TESSERA_MAIL_IN_MAX_BYTES": "5000",
                                  "TESSERA_IMAP_URL": "imaps://in:pw@imap.acme.test/Support",
                                  "TESSERA_IMAP_POLL_SECONDS": "15",
                                  "TESSERA_MAIL_IN_TRUSTED_AUTHSERV_IDS": "MX1.acme.test, mx2.acme.test"})
    assert (settings.mail_in_domain, settings.mail_in_max_bytes, settings.imap_poll_seconds) == (
        "tickets.acme.test", 5000, 15.0)
    assert settings.imap_url == "imaps://in:pw@imap.acme.test/Support"
    assert settings.mail_in_trusted_authserv_ids == ("mx1.acme.test", "mx2.acme.test")


def test_outside_local_a_secret_key_is_required() -> None:
    assert Settings.from_env({"TESSERA_ENV": "production", "TESSERA_SECRET_KEY": "s3cr3t"}).environment == "production"


def test_attachments_live_beside_the_sqlite_file_unless_named(tmp_path: Path) -> None:
    assert Settings(database_url=f"sqlite:///{tmp_path}/db/t.db").attachments_root == tmp_path / "db" / "attachments"
    assert Settings(database_url="sqlite:///:memory:").attachments_root == Path("data") / "attachments"
    assert Settings(database_url="postgresql://h/db").attachments_root == Path("data") / "attachments"
    assert Settings(attachments_dir=str(tmp_path / "files")).attachments_root == tmp_path / "files"
    assert Settings().with_overrides(base_url="http://x", redis_url=None).base_url == "http://x"
