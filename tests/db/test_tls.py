"""TLS settings for PostgreSQL (libpq's sslmode, sslrootcert, sslcert, sslkey in the URL) and
Redis (`rediss://` with its CA options) reach the drivers: parsed into asyncpg's `ssl` argument
and redis-py's SSL connection, and a server that offers no TLS where it is required fails the
connection clearly. The PostgreSQL and Redis test servers run without TLS."""

from __future__ import annotations

import asyncio
import ssl

import certifi
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tessera.cli.main import cli
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.tls import engine_arguments, split_postgres_tls
from tessera.errors import InvalidInput
from tests.support import POSTGRES_URL, REDIS_URL, postgres_unreachable_reason

PG = "postgresql+asyncpg://app@db.example.com:5432/tessera"
CA = certifi.where()


def test_sslmode_disable_and_prefer_are_passed_as_modes_and_removed_from_the_url() -> None:
    url, args = engine_arguments(f"{PG}?sslmode=disable&application_name=tessera")
    assert args == {"ssl": False}
    assert "sslmode" not in str(url) and url.query == {"application_name": "tessera"}
    assert engine_arguments(f"{PG}?sslmode=prefer")[1] == {"ssl": "prefer"}
    assert engine_arguments(PG)[1] == {}  # the driver's default
    assert engine_arguments("sqlite+aiosqlite:///data/x.db?sslmode=require") == (
        "sqlite+aiosqlite:///data/x.db?sslmode=require", {})


def test_require_encrypts_and_verify_modes_check_the_certificate() -> None:
    _, require = engine_arguments(f"{PG}?sslmode=require")
    assert isinstance(require["ssl"], ssl.SSLContext)
    assert require["ssl"].verify_mode == ssl.CERT_NONE and not require["ssl"].check_hostname
    _, with_root = engine_arguments(f"{PG}?sslmode=require&sslrootcert={CA}")
    assert with_root["ssl"].verify_mode == ssl.CERT_REQUIRED and not with_root["ssl"].check_hostname
    _, verify_ca = engine_arguments(f"{PG}?sslmode=verify-ca&sslrootcert={CA}")
    assert verify_ca["ssl"].verify_mode == ssl.CERT_REQUIRED and not verify_ca["ssl"].check_hostname
    _, verify_full = engine_arguments(f"{PG}?sslmode=verify-full&sslrootcert={CA}")
    assert verify_full["ssl"].verify_mode == ssl.CERT_REQUIRED and verify_full["ssl"].check_hostname
    assert verify_full["ssl"].get_ca_certs()  # the root certificates were loaded
    assert split_postgres_tls(f"{PG}?sslmode=verify-full&sslrootcert={CA}")[1].root_cert == CA


def test_bad_tls_settings_are_refused_naming_the_parameter(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as bad_mode:
        engine_arguments(f"{PG}?sslmode=sometimes")
    assert bad_mode.value.field == "sslmode" and "verify-full" in bad_mode.value.message
    missing = tmp_path / "missing-ca.pem"
    with pytest.raises(InvalidInput) as bad_file:
        engine_arguments(f"{PG}?sslmode=verify-full&sslrootcert={missing}")
    assert bad_file.value.field == "sslrootcert" and str(missing) in bad_file.value.message


@pytest.fixture(scope="module")
def postgres_url() -> str:
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    return POSTGRES_URL


def _select_one(url: str) -> int:
    async def run() -> int:
        database = Database(Settings(database_url=url))
        try:
            async with database.unit_of_work(write=False) as session:
                return int(await session.scalar(text("SELECT 1")))
        finally:
            await database.dispose()
    return asyncio.run(run())


def test_postgres_connects_with_sslmode_disable_and_refuses_require_without_tls(postgres_url: str) -> None:
    assert _select_one(f"{postgres_url}?sslmode=disable") == 1
    with pytest.raises(ConnectionError, match="SSL"):
        _select_one(f"{postgres_url}?sslmode=require")
    result = CliRunner().invoke(cli, ["migrate", "--database-url", f"{postgres_url}?sslmode=verify-full"])
    assert result.exit_code == 2
    assert "error: cannot use the database" in result.output and "SSL" in result.output


def test_rediss_urls_reach_redis_py_with_their_ca_options() -> None:
    import redis.asyncio as redis
    from redis.asyncio.connection import SSLConnection

    from tessera.main import _redis_client

    host = REDIS_URL.split("://", 1)[1]
    client = _redis_client(f"rediss://{host}?ssl_cert_reqs=required&ssl_ca_certs={CA}&socket_connect_timeout=0.5&socket_timeout=0.5")
    assert client.connection_pool.connection_class is SSLConnection
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["ssl_cert_reqs"], kwargs["ssl_ca_certs"]) == ("required", CA)

    async def ping() -> None:
        try:
            await client.ping()
        finally:
            await client.aclose()

    # The test server speaks no TLS: the handshake fails (or times out) with redis-py's error.
    with pytest.raises(redis.RedisError):
        asyncio.run(ping())
    assert _redis_client("redis://127.0.0.1:6379/0").connection_pool.connection_class is not SSLConnection
