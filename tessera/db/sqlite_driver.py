"""One trip to the SQLite thread per statement.

aiosqlite runs every sqlite3 call on the connection's own thread and hands the result back
through the event loop. SQLAlchemy's adapter makes a statement four such trips: open a cursor,
execute, fetch the rows, close the cursor; each costs a queue hand-off, a thread wake-up, a
loop wake-up and a greenlet switch (~60 µs of CPU on this machine, most of it holding the GIL).
A workflow transition runs about a dozen statements, so the trips were a quarter of its CPU
(issue 16: 9.5 → 7 ms a transition on SQLite at 100,000 issues).

`OneTripCursor` does the four steps in one function on the connection's thread: the rows are
fetched whole, as the buffered cursor did already, and the sqlite3 cursor is closed before the
result returns. The statement still runs off the event loop, so a slow query blocks no other
request. Server-side (streaming) cursors keep SQLAlchemy's own class.
"""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


def _run(sqlite_connection: Any, operation: str, parameters: Any, many: bool) -> tuple:
    """On the connection's thread: the whole statement, the cursor closed before returning."""
    cursor = sqlite_connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered DB-API cursor whose execute is one trip to the connection's thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # no aiosqlite cursor: nothing to open or close
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor closed on its thread; the rows stay buffered."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._trip(operation, seq_of_parameters, many=True)

    def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            await_(self._run_async(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run_async(self, operation: Any, parameters: Any, many: bool) -> None:
        connection = self._connection
        async with self._adapt_connection._execute_mutex:
            description, rows, self._rowcount, self._lastrowid = await connection._execute(
                _run, connection._conn, operation, parameters, many)
        self._description = description
        self._rows = collections.deque(rows)


def install() -> None:
    """Every aiosqlite connection SQLAlchemy opens from now on uses `OneTripCursor`."""
    AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor  # type: ignore[assignment]
