"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tessera.config import normalize_database_url
from tessera.schema import include_in_comparison, metadata


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    async def diff() -> list:
        engine = create_async_engine(normalize_database_url(database_url), poolclass=NullPool)
        async with engine.connect() as connection:
            found = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(
                    sync, opts={"compare_type": True, "include_object": include_in_comparison}), metadata))
        await engine.dispose()
        return found

    assert asyncio.run(diff()) == []
