"""The bulk path of each database backend, for the demo's bulk loaders: COPY (asyncpg's binary
`copy_records_to_table`) on PostgreSQL, `executemany` in one transaction per batch on SQLite.
A writer knows the tables a load fills (parents before children) and the columns a newer schema
added that the row factories do not know; ids are allocated before the rows are built."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.models import IssueRank
from tessera.db.engine import Database
from tessera.db.statistics import refresh_statistics
from tessera.demo.rows import (
    COMPONENT_COLUMNS,
    GROUP_COLUMNS,
    ISSUE_COLUMNS,
    ITEM_COLUMNS,
    LABEL_COLUMNS,
    RANK_COLUMNS,
    SPAN_COLUMNS,
    VALUE_COLUMNS,
    VERSION_COLUMNS,
    Batch,
)
from tessera.errors import InvalidInput
from tessera.issues.models import (
    ChangeGroup,
    ChangeItem,
    CustomFieldValue,
    Issue,
    IssueComponent,
    IssueLabel,
    IssueVersion,
)
from tessera.jql import value_spans
from tessera.jql.models import IssueValueSpan


def _table_defaults(table: Table, columns: Sequence[str]) -> tuple[tuple[str, ...], tuple[object, ...]]:
    """Columns a newer schema added that the row factory does not know: their scalar defaults, so
    the load keeps working; a required column without one is an error worth seeing."""
    names: list[str] = []
    values: list[object] = []
    for column in table.columns:
        if column.name in columns or column.nullable or column.server_default is not None or (
                column.primary_key and column.autoincrement):
            continue
        default = column.default
        if default is None or not getattr(default, "is_scalar", False):
            raise InvalidInput(f"The bulk loader does not know how to fill {table.name}.{column.name}.")
        names.append(column.name)
        values.append(default.arg)  # type: ignore[attr-defined]
    return tuple(names), tuple(values)


# Parents before children: (table, the factory's columns, the Batch attribute holding its rows).
TABLES = ((Issue.__table__, ISSUE_COLUMNS, "issues"), (IssueLabel.__table__, LABEL_COLUMNS, "labels"),
          (IssueComponent.__table__, COMPONENT_COLUMNS, "components"),
          (IssueVersion.__table__, VERSION_COLUMNS, "versions"),
          (CustomFieldValue.__table__, VALUE_COLUMNS, "values"), (ChangeGroup.__table__, GROUP_COLUMNS, "groups"),
          (ChangeItem.__table__, ITEM_COLUMNS, "items"), (IssueRank.__table__, RANK_COLUMNS, "ranks"),
          (IssueValueSpan.__table__, SPAN_COLUMNS, "spans"))


def table_writer(database: Database, progress: Callable[[str], None] | None = None) -> TableWriter:
    """The bulk path of the database's backend (COPY on PostgreSQL), for other bulk writers."""
    return SqliteTableWriter() if database.is_sqlite else PostgresTableWriter(progress or (lambda _message: None))


class TableWriter(ABC):
    def __init__(self) -> None:
        self.tables = []
        for table, columns, attribute in TABLES:
            extra_names, extra_values = _table_defaults(table, columns)
            self.tables.append((table.name, columns + extra_names, attribute, extra_values))

    @staticmethod
    @abstractmethod
    def stamp(seconds: int) -> object: ...

    async def prepare(self, session: AsyncSession) -> None:
        """Per-transaction settings for the batch about to be written."""

    @abstractmethod
    async def allocate_ids(self, session: AsyncSession, table: str, count: int) -> Sequence[int]: ...

    async def before_issue_batch(self, session: AsyncSession) -> None:
        """In a batch of new issues' transaction, before its rows are written."""

    async def after_batch(self, session: AsyncSession, organization_id: int, issue_ids: Sequence[int]) -> None:
        """In a batch of new issues' transaction, once its rows are written."""

    async def finish(self, session: AsyncSession) -> None:
        """After the last batch: planner statistics of the tables just filled, now, rather than
        when autovacuum (PostgreSQL) or the server's periodic refresh (SQLite) gets to them."""
        await refresh_statistics(await session.connection(), changed=[table for table, *_ in self.tables])

    # Whether the batch's WAS span rows go in as rows: not when the database's triggers write
    # them during the batch, nor where the database derives them faster (SQLite, see after_batch).
    writes_spans = True

    async def write(self, session: AsyncSession, batch: Batch) -> None:
        for table, columns, attribute, extra in self.tables:
            rows = getattr(batch, attribute)
            if rows and (attribute != "spans" or self.writes_spans):
                await self.write_rows(session, table, columns, [row + extra for row in rows] if extra else rows)

    @abstractmethod
    async def write_rows(self, session: AsyncSession, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        ...


class PostgresTableWriter(TableWriter):
    """COPY in binary through asyncpg; ids from the tables' own sequences."""

    def __init__(self, report: Callable[[str], None]) -> None:
        super().__init__()
        self.report, self.warned = report, False

    @staticmethod
    def stamp(seconds: int) -> object:
        return datetime.fromtimestamp(seconds, UTC)

    async def prepare(self, session: AsyncSession) -> None:
        """Without durability waits and, where the role may (superuser), without foreign-key
        triggers, as `pg_restore --disable-triggers` does: they cost ten times the COPY itself, and
        every id in the rows was read from this organization or allocated for this batch."""
        await session.execute(text("SET LOCAL synchronous_commit = off"))
        try:
            async with session.begin_nested():
                await session.execute(text("SET LOCAL session_replication_role = replica"))
            self.writes_spans = True
        except DBAPIError:
            self.writes_spans = False  # the triggers write them: the batch's rows would be duplicates
            if not self.warned:
                self.warned = True
                self.report("foreign-key checks stay on (the role may not set session_replication_role): "
                            "expect a slower load")

    async def allocate_ids(self, session: AsyncSession, table: str, count: int) -> Sequence[int]:
        if count == 0:
            return []
        rows = await session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
            {"table": table, "count": count})
        return [row[0] for row in rows]

    async def write_rows(self, session: AsyncSession, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(table, records=rows, columns=list(columns))


class SqliteTableWriter(TableWriter):
    """executemany in the unit of work's BEGIN IMMEDIATE transaction, which also makes MAX(id)+1
    a safe way to allocate ids: no other writer can run until it commits."""

    @staticmethod
    def stamp(seconds: int) -> object:
        # The storage format SQLAlchemy's SQLite DateTime type writes and reads back.
        return time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(seconds))

    async def prepare(self, session: AsyncSession) -> None:
        connection = await session.connection()
        await connection.exec_driver_sql("PRAGMA cache_size = -200000")
        await connection.exec_driver_sql("PRAGMA temp_store = MEMORY")

    writes_spans = False  # one INSERT … SELECT in SQLite beats executemany of seven rows per issue

    async def before_issue_batch(self, session: AsyncSession) -> None:
        """The span triggers go for the batch and come back before it commits (SQLite's DDL is
        transactional, and the batch holds the only write lock): no other writer ever sees them
        missing, and the batch's spans are derived in one pass in `after_batch`."""
        connection = await session.connection()
        for statement in value_spans.drop_statements("sqlite"):
            await connection.exec_driver_sql(statement)

    async def after_batch(self, session: AsyncSession, organization_id: int, issue_ids: Sequence[int]) -> None:
        connection = await session.connection()
        for statement in value_spans.trigger_statements("sqlite"):
            await connection.exec_driver_sql(statement)
        await value_spans.add_for_new_issues(connection, organization_id, min(issue_ids), max(issue_ids))

    async def allocate_ids(self, session: AsyncSession, table: str, count: int) -> Sequence[int]:
        highest = await session.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) or 0
        return range(highest + 1, highest + 1 + count)

    async def write_rows(self, session: AsyncSession, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        connection = await session.connection()
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        await connection.exec_driver_sql(statement, rows)
