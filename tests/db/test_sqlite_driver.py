"""SQLite statements make one trip to the connection's thread (tessera.db.sqlite_driver) and
still behave as a DB-API cursor: rows, counts, inserted ids, errors, and the engine's pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from tessera.config import Settings
from tessera.db.engine import MMAP_BYTES, Database
from tessera.db.sqlite_driver import OneTripCursor


async def test_one_trip_cursor_rows_counts_ids_and_errors(tmp_path: Path) -> None:
    database = Database(Settings(database_url=f"sqlite:///{tmp_path}/driver.db"))
    try:
        async with database.unit_of_work() as session:
            connection = await session.connection()
            raw = await connection.get_raw_connection()
            assert type(raw.dbapi_connection.cursor()) is OneTripCursor
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)"))
            inserted = await session.execute(text("INSERT INTO t (name) VALUES (:name)"), {"name": "a"})
            assert inserted.lastrowid == 1 and inserted.rowcount == 1
            many = await session.execute(text("INSERT INTO t (name) VALUES (:name)"),
                                         [{"name": name} for name in "bcde"])
            assert many.rowcount == 4  # executemany: one trip, the statement's total count
            returned = await session.execute(text("INSERT INTO t (name) VALUES ('f') RETURNING id, name"))
            assert returned.one() == (6, "f")
            updated = await session.execute(text("UPDATE t SET name = name || '!' WHERE id > 3"))
            assert updated.rowcount == 3
            rows = await session.execute(text("SELECT id, name FROM t ORDER BY id"))
            assert list(rows.keys()) == ["id", "name"]
            assert rows.fetchmany(2) == [(1, "a"), (2, "b")]
            assert rows.all() == [(3, "c"), (4, "d!"), (5, "e!"), (6, "f!")]
            empty = await session.execute(text("SELECT id FROM t WHERE id < 0"))
            assert empty.all() == [] and list(empty.keys()) == ["id"]
        # Errors arrive as SQLAlchemy's, the transaction rolled back as before.
        with pytest.raises(IntegrityError):
            async with database.unit_of_work() as session:
                await session.execute(text("INSERT INTO t (name) VALUES ('z')"))
                await session.execute(text("INSERT INTO t (name) VALUES ('a')"))
        with pytest.raises(OperationalError, match="no such table"):
            async with database.unit_of_work(write=False) as session:
                await session.execute(text("SELECT * FROM missing"))
        # BEGIN runs with the transaction's first statement, a streamed one too: nothing autocommits.
        with pytest.raises(RuntimeError):
            async with database.unit_of_work() as session:
                assert [row.id async for row in await session.stream(text("SELECT id FROM t"))]
                await session.execute(text("INSERT INTO t (name) VALUES ('y')"))
                raise RuntimeError("roll back")
        async with database.unit_of_work(write=False) as session:
            assert await session.scalar(text("SELECT count(*) FROM t WHERE name IN ('y', 'z')")) == 0
            # Streaming (server-side) results keep SQLAlchemy's own cursor and still read every row.
            streamed = await session.stream(text("SELECT id FROM t ORDER BY id"))
            assert [row.id async for row in streamed] == [1, 2, 3, 4, 5, 6]
            assert await session.scalar(text("PRAGMA mmap_size")) == MMAP_BYTES
            assert await session.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        await database.dispose()
