"""SQLite's planner statistics: analyzed when missing or outgrown, cheap when nothing changed,
refreshed by the server while it runs (tessera.db.statistics)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.statistics import refresh_statistics
from tessera.main import create_app
from tessera.migrate import upgrade_database_async
from tests.support import fresh_sqlite_database, make_org


async def _analyzed(database: Database, table: str) -> list[str]:
    async with database.unit_of_work(write=False) as session:
        if not await session.scalar(text("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'")):
            return []
        return list((await session.scalars(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :table"),
                                           {"table": table})).all())


async def _refresh(database: Database) -> list[str]:
    async with database.unit_of_work() as session:
        return await refresh_statistics(await session.connection())


async def test_tables_without_statistics_or_outgrown_are_analyzed_and_nothing_else(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/statistics.db"
    await upgrade_database_async(url)
    database = Database(Settings(database_url=url))
    try:
        async with database.unit_of_work() as session:
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER)"))
            await session.execute(text("CREATE INDEX t_k ON t (k)"))
            await session.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                       "WHERE i < 50) INSERT INTO t (k) SELECT i % 7 FROM n"))
        assert await _analyzed(database, "t") == []
        assert "t" in await _refresh(database)
        assert await _analyzed(database, "t") == ["50 8"]
        assert await _refresh(database) == []  # nothing changed: nothing analyzed
        async with database.unit_of_work() as session:  # 16 times the rows
            for _ in range(4):
                await session.execute(text("INSERT INTO t (k) SELECT k FROM t"))
        assert await _refresh(database) == ["t"]
        assert (await _analyzed(database, "t"))[0].startswith("800 ")
        async with database.unit_of_work() as session:  # a new index (a migration's) has no statistics
            await session.execute(text("CREATE INDEX t_k_id ON t (k, id)"))
        assert await _refresh(database) == ["t"]
        assert sorted(await _analyzed(database, "t")) == ["800 115", "800 115 1"]
        assert await _refresh(database) == []
        async with database.unit_of_work() as session:  # a bulk writer names what it filled
            assert await refresh_statistics(await session.connection(), changed=["t"]) == ["t"]
    finally:
        await database.dispose()


def test_the_server_refreshes_statistics_while_it_runs_and_stops_cleanly(tmp_path: Path) -> None:
    with fresh_sqlite_database(str(tmp_path)) as url:
        make_org(url)  # rows in tables that migrating (on an empty database) left without statistics
        settings = Settings(database_url=url, base_url="http://testserver", attachments_dir=str(tmp_path / "files"),
                            statistics_refresh_seconds=0.05)
        app = create_app(settings)
        with TestClient(app):
            keeper = app.state.statistics
            deadline = time.monotonic() + 10
            while keeper.runs < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert keeper.runs >= 2
        task = keeper._task
        assert task.done() and not task.cancelled() and task.exception() is None

        async def analyzed() -> list[str]:
            database = Database(settings)
            try:
                return await _analyzed(database, "organizations")
            finally:
                await database.dispose()

        assert asyncio.run(analyzed()) != []


def test_a_server_stopped_before_its_first_turn_still_refreshes_once(tmp_path: Path) -> None:
    with fresh_sqlite_database(str(tmp_path)) as url:
        settings = Settings(database_url=url, base_url="http://testserver", attachments_dir=str(tmp_path / "files"),
                            statistics_refresh_seconds=3600.0)
        app = create_app(settings)
        with TestClient(app):
            keeper = app.state.statistics
            assert keeper.runs == 0
        assert keeper.runs == 1
