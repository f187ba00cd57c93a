"""One trip to the SQLite thread per statement.

aiosqlite runs every sqlite3 call on the connection's own thread and hands the result back
through the event loop. SQLAlchemy's adapter makes a statement four such trips: open a cursor,
execute, fetch the rows, close the cursor; each costs a queue hand-off, a thread wake-up, a
loop wake-up and a greenlet switch (~60 µs of CPU on this machine, most of it holding the GIL).
A workflow transition runs about a dozen statements, so the trips were a large part of its CPU
(issue 16, SQLite at 100,000 issues, one transition at a time: 8.6-10 ms of CPU, 6.5-7.4 after).

`OneTripCursor` does the four steps in one function on the connection's thread: the rows are
fetched whole, as the buffered cursor did already, and the sqlite3 cursor is closed before the
result returns. The statement still runs off the event loop, so a slow query blocks no other
request. Server-side (streaming) cursors keep SQLAlchemy's own (`BeginningStreamCursor`).

A transaction's BEGIN rides along with its first statement (`begin_with_next_statement`), so
it costs no trip of its own either. On SQLite's single writer this matters twice: every trip
of a writing transaction is time the write lock is held, and a trip's result waits for the
event loop and the GIL, both busy with other requests under load.
"""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

# Attribute of the aiosqlite connection: the BEGIN statement its next statement runs first.
_PENDING_BEGIN = "_tessera_pending_begin"


def begin_with_next_statement(adapted_connection: AsyncAdapt_aiosqlite_connection, begin: str) -> None:
    """Open the transaction with `begin` (BEGIN, BEGIN IMMEDIATE) in the trip of the next statement."""
    setattr(adapted_connection._connection, _PENDING_BEGIN, begin)


def forget_begin(adapted_connection: AsyncAdapt_aiosqlite_connection) -> None:
    """The transaction ended before any statement ran: nothing to begin."""
    setattr(adapted_connection._connection, _PENDING_BEGIN, None)


def _take_begin(connection: Any) -> str | None:
    begin = getattr(connection, _PENDING_BEGIN, None)
    if begin is not None:
        setattr(connection, _PENDING_BEGIN, None)
    return begin


def _run(sqlite_connection: Any, begin: str | None, operation: str, parameters: Any, many: bool) -> tuple:
    """On the connection's thread: the pending BEGIN, then the whole statement, the cursor
    closed before returning."""
    if begin is not None:
        sqlite_connection.execute(begin)
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
            begin = _take_begin(connection)
            description, rows, self._rowcount, self._lastrowid = await connection._execute(
                _run, connection._conn, begin, operation, parameters, many)
        self._description = description
        self._rows = collections.deque(rows)


class BeginningStreamCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's server-side cursor, which runs a pending BEGIN first (its own trip: streams are rare)."""

    __slots__ = ()

    async def _begin(self) -> None:
        if (begin := _take_begin(self._connection)) is not None:
            await self._connection.execute(begin)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._begin()
        return await super()._execute_async(operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._begin()
        return await super()._executemany_async(operation, seq_of_parameters)


def install() -> None:
    """Every aiosqlite connection SQLAlchemy opens from now on uses `OneTripCursor` (and
    `BeginningStreamCursor` for streamed results)."""
    AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor  # type: ignore[assignment]
    AsyncAdapt_aiosqlite_connection._ss_cursor_cls = BeginningStreamCursor  # type: ignore[assignment]
