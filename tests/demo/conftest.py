"""Shared by the demo and bulk-load tests: a Database on the session's test database, and a
per-organization row count."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from tessera.config import Settings
from tessera.db.engine import Database


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


async def count_rows(database: Database, model: type, organization_id: int) -> int:
    async with database.unit_of_work(write=False) as session:
        return await session.scalar(select(func.count()).select_from(model).where(
            model.organization_id == organization_id)) or 0


async def span_triggers(database: Database) -> int:
    """How many of the issue_value_spans triggers the database has (they must outlive loads)."""
    query = ("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%value_spans%'" if database.dialect == "postgresql"
             else "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%value_spans%'")
    async with database.unit_of_work(write=False) as session:
        return int(await session.scalar(text(query)) or 0)
