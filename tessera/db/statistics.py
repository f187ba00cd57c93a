"""Planner statistics: SQLite gets them the way PostgreSQL's autovacuum gives them.

Without statistics SQLite's planner guesses that an equality on a leading column matches ~10
rows, so `organization_id = ?` looks as selective as `issue_id IN (...)` and a lookup may walk a
whole organization (issue 16: labels of one issue took 22 ms at 100,000 issues, 0.2 ms after one
ANALYZE). `refresh_statistics` is the one place that keeps them fresh; it runs after migrations
(tessera.migrate), after bulk loads (tessera.demo.table_writers) and periodically while serving
(`StatisticsKeeper`, in the server's lifespan).

PostgreSQL's autovacuum analyzes tables as they change, so there only bulk loads ask for an
ANALYZE (of the tables they filled), so the next query need not wait for autovacuum to notice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.db.engine import Database

log = logging.getLogger("tessera.db.statistics")

# ANALYZE reads every row (no `PRAGMA analysis_limit`): a sample of the first rows of an index
# misleads where it counts, e.g. (organization_id, parent_id) sampled among issues without a
# parent looked like 1,000 rows a parent. A whole analysis costs ~30 ms at 5,000 issues, about a
# second at 100,000, and runs only after loads, new indexes and tenfold growth.

# A table whose rows grew this many times since it was analyzed is analyzed again (SQLite ≥ 3.46's
# `PRAGMA optimize` does the same, but older versions only look at tables this connection used).
GROWTH = 10
# PRAGMA optimize's mask: 0x02 analyze what may benefit, 0x10000 look at every table, not only
# those this connection queried (SQLite ≥ 3.46; older versions ignore the bit).
OPTIMIZE_MASK = 0x10002


async def refresh_statistics(connection: AsyncConnection, *, changed: Iterable[str] = ()) -> list[str]:
    """Bring the planner's statistics up to date; returns the tables analyzed.

    `changed` names tables a bulk writer just filled: they are analyzed whatever their stored
    statistics say. On SQLite every table that has rows but no statistics, or grew `GROWTH` times
    since its statistics were taken, is analyzed too, then `PRAGMA optimize` does the rest; cheap
    when nothing changed (one b-tree probe per table). On PostgreSQL only `changed` is analyzed.
    The caller owns the transaction (on SQLite ANALYZE writes sqlite_stat1: hold the write lock)."""
    changed = sorted(set(changed))
    if connection.dialect.name != "sqlite":
        if changed:
            await connection.exec_driver_sql(f"ANALYZE {', '.join(_quoted(table) for table in changed)}")
        return changed
    tables = sorted(set(changed) | set(await _sqlite_tables_needing_analysis(connection)))
    for table in tables:
        await connection.exec_driver_sql(f"ANALYZE {_quoted(table)}")
    await connection.exec_driver_sql(f"PRAGMA optimize = {OPTIMIZE_MASK:#x}")
    return tables


async def _sqlite_tables_needing_analysis(connection: AsyncConnection) -> list[str]:
    """Ordinary tables with rows and either no statistics, an index without them (one a migration
    just added: the planner would weigh it by guesses against the others' counts), or `GROWTH`
    times the rows they had.

    The size now is the largest rowid, a b-tree probe rather than a count: an upper bound of the
    rows (deletes leave gaps), which is all a tenfold test needs."""
    tables = [row[1] for row in (await connection.exec_driver_sql("PRAGMA main.table_list")).all()
              if row[2] == "table" and not row[4] and not row[1].startswith("sqlite_")]
    indexes: dict[str, set[str]] = {}
    for table, index in (await connection.exec_driver_sql(
            "SELECT tbl_name, name FROM sqlite_schema WHERE type = 'index'")).all():
        indexes.setdefault(table, set()).add(index)
    recorded: dict[str, int] = {}
    analyzed_indexes: set[str] = set()
    has_stat1 = await connection.scalar(text("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'"))
    if has_stat1:
        for table, index, stat in (await connection.exec_driver_sql("SELECT tbl, idx, stat FROM sqlite_stat1")).all():
            rows = int(str(stat).split(" ", 1)[0]) if stat else 0
            recorded[table] = max(recorded.get(table, 0), rows)
            analyzed_indexes.add(index)
    stale = []
    for table in tables:
        size = await connection.scalar(text(f"SELECT max(rowid) FROM {_quoted(table)}")) or 0
        if size and (table not in recorded or indexes.get(table, set()) - analyzed_indexes
                     or size >= GROWTH * max(recorded[table], 10)):
            stale.append(table)
    return stale


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class StatisticsKeeper:
    """`refresh_statistics` every `every` seconds and once at shutdown, as a task of the server's
    event loop, on SQLite only (PostgreSQL's autovacuum does this there). A failure is logged and
    retried at the next turn: statistics make queries faster, never correct."""

    def __init__(self, database: Database, *, every: float) -> None:
        self._database = database
        self._every = every
        self._stop = asyncio.Event()
        self.runs = 0
        self._task = asyncio.create_task(self._run(), name="tessera-statistics")

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self._every)
            except TimeoutError:
                pass
            await self.refresh()
            if self._stop.is_set():
                return

    async def refresh(self) -> None:
        try:
            async with self._database.unit_of_work() as session:
                analyzed = await refresh_statistics(await session.connection())
        except DBAPIError as error:
            log.warning("refreshing planner statistics failed: %s", str(error).splitlines()[0])
            return
        self.runs += 1
        if analyzed:
            log.info("analyzed %s", ", ".join(analyzed))

    async def stop(self) -> None:
        self._stop.set()
        await self._task
