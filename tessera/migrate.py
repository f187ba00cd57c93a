"""Apply Alembic migrations programmatically (used by `tessera migrate`, `serve` and tests)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from tessera.config import normalize_database_url
from tessera.db.row_security import ensure_tenant_role
from tessera.db.statistics import refresh_statistics
from tessera.db.tls import engine_arguments

log = logging.getLogger("tessera.migrate")

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_database_url(database_url))
    return config


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


async def _upgrade(database_url: str) -> None:
    url = normalize_database_url(database_url)
    _ensure_sqlite_dir(url)
    engine_url, tls = engine_arguments(url)
    engine = create_async_engine(engine_url, poolclass=NullPool, connect_args=tls)
    async with engine.connect() as connection:
        if url.startswith("postgresql"):
            # Several server workers may start at once: serialize their migrations.
            await connection.execute(text("SELECT pg_advisory_lock(724810)"))
        else:
            await connection.exec_driver_sql("PRAGMA journal_mode=WAL")

        def run(sync_connection) -> None:  # type: ignore[no-untyped-def]
            config = alembic_config(url)
            config.attributes["connection"] = sync_connection
            command.upgrade(config, "head")

        await connection.run_sync(run)
        await connection.commit()
        if url.startswith("postgresql"):
            await ensure_tenant_role(connection)
            await connection.commit()
            await connection.execute(text("SELECT pg_advisory_unlock(724810)"))
            await connection.commit()
        else:
            await _refresh_sqlite_statistics(connection)
    await engine.dispose()


async def _refresh_sqlite_statistics(connection: AsyncConnection) -> None:
    """A migration may add indexes, and the database may have grown since it was last served:
    give SQLite's planner statistics before the first query. Only an optimization, so another
    process holding the write lock is reported, not fatal (the server's periodic refresh follows)."""
    try:
        await connection.exec_driver_sql("PRAGMA busy_timeout = 10000")
        await refresh_statistics(connection)
        await connection.commit()
    except DBAPIError as error:
        await connection.rollback()
        log.warning("planner statistics not refreshed after migrating: %s", str(error).splitlines()[0])


def upgrade_database(database_url: str) -> None:
    asyncio.run(_upgrade(database_url))


async def upgrade_database_async(database_url: str) -> None:
    await _upgrade(database_url)
