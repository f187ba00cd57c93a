"""A bulk load leaves the planner statistics of the tables it filled (tessera.db.statistics)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import bindparam, text

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.demo.bulk import bulk_load
from tests.support import fresh_database, unique_key


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_load_leaves_statistics_of_what_it_filled(backend: str, tmp_path: Path,
                                                    postgres_skip_reason: str | None) -> None:
    with fresh_database(backend, str(tmp_path), postgres_skip_reason) as url:
        asyncio.run(_load_and_check(url))


async def _load_and_check(url: str) -> None:
    database = Database(Settings(database_url=url))
    try:
        if database.is_sqlite:
            # Migrating an empty database analyzes nothing of these: they have no rows yet.
            assert await _sqlite_statistics(database, "issues", "issue_labels") == {}
        await bulk_load(database, org_key=unique_key("STAT"), issues=400, seed=5)
        if database.is_sqlite:
            found = await _sqlite_statistics(database, "issues", "issue_labels")
            assert {"ix_issue_labels_org_issue", "ix_issues_org_parent"} <= set(found)
            # The first number of a stat1 row is the table's row count.
            assert int(found["ix_issues_org_parent"].split()[0]) == 400
            assert int(found["ix_issue_labels_org_issue"].split()[0]) > 400
        else:
            async with database.unit_of_work(write=False) as session:
                analyzed = set((await session.scalars(text(
                    "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"))).all())
            assert {"issues", "issue_labels", "issue_components", "custom_field_values"} <= analyzed
    finally:
        await database.dispose()


async def _sqlite_statistics(database: Database, *tables: str) -> dict[str, str]:
    async with database.unit_of_work(write=False) as session:
        exists = await session.scalar(text("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'"))
        if not exists:
            return {}
        rows = await session.execute(text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl IN :tables").bindparams(
            bindparam("tables", expanding=True)), {"tables": list(tables)})
        return {index: stat for index, stat in rows.all()}
