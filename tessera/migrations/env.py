"""Alembic environment: runs migrations over the async engine Tessera uses."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tessera.db.tls import engine_arguments
from tessera.schema import include_in_comparison, metadata

config = context.config


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True, include_object=include_in_comparison)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url, tls = engine_arguments(config.get_main_option("sqlalchemy.url") or "")
    engine = create_async_engine(url, poolclass=NullPool, connect_args=tls)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
