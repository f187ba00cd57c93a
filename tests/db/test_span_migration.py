"""Migration 0013 rebuilds the WAS spans densely from history and issues, on both backends, and
down to 0012 and back up again leaves them true."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.demo.bulk import bulk_load
from tessera.jql.models import IssueValueSpan
from tessera.jql.value_spans import SPAN_FIELDS, rebuild_organization
from tessera.migrate import alembic_config
from tessera.tenancy.service import get_organization_by_key
from tests.support import fresh_postgres_database, fresh_sqlite_database, postgres_unreachable_reason

COLUMNS = (IssueValueSpan.issue_id, IssueValueSpan.field_id, IssueValueSpan.value, IssueValueSpan.started_at,
           IssueValueSpan.ended_at, IssueValueSpan.set_by, IssueValueSpan.first_held)


@pytest.fixture(params=["sqlite", "postgres"])
def migrated_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own (it goes down and up again); the suite's PostgreSQL skip rule."""
    if request.param == "sqlite":
        with fresh_sqlite_database(str(tmp_path)) as url:
            yield url
        return
    if reason := postgres_unreachable_reason():
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        yield url


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    (command.downgrade if down else command.upgrade)(config, revision)


async def _spans(database: Database, organization_id: int) -> list[tuple]:
    async with database.unit_of_work(write=False) as session:
        rows = (await session.execute(select(*COLUMNS).where(IssueValueSpan.organization_id == organization_id))).all()
    return sorted(rows, key=repr)


def test_0013_rebuilds_dense_spans_and_survives_a_round_trip(migrated_database: str) -> None:
    url = migrated_database

    async def load() -> tuple[int, list[tuple]]:
        database = Database(Settings(database_url=url))
        try:
            await bulk_load(database, org_key="MIG", issues=120, seed=11)
            async with database.unit_of_work() as session:
                org = (await get_organization_by_key(session, "MIG")).id  # type: ignore[union-attr]
                await rebuild_organization(await session.connection(), org)
            return org, await _spans(database, org)
        finally:
            await database.dispose()

    org, expected = asyncio.run(load())
    assert {(issue, field) for issue, field, *_ in expected} == {
        (issue, field) for issue in {row[0] for row in expected} for field in SPAN_FIELDS}

    async def wipe_spans() -> None:  # as a database that never had them filled
        database = Database(Settings(database_url=url))
        try:
            async with database.unit_of_work() as session:
                await session.execute(text("DELETE FROM issue_value_spans"))
        finally:
            await database.dispose()

    _migrate(url, "0012", down=True)
    asyncio.run(wipe_spans())
    _migrate(url, "head")

    async def after() -> tuple[list[tuple], int]:
        database = Database(Settings(database_url=url))
        try:
            async with database.unit_of_work(write=False) as session:
                total = await session.scalar(select(func.count()).select_from(IssueValueSpan))
            return await _spans(database, org), int(total or 0)
        finally:
            await database.dispose()

    rebuilt, total = asyncio.run(after())
    assert rebuilt == expected and total == len(expected)
