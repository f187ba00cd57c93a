"""Engines and the unit of work.

SQLite allows one writer at a time and fails lock upgrades instead of waiting, so on SQLite a
writing unit of work begins with BEGIN IMMEDIATE on its own engine and readers use a second
engine with plain deferred transactions. PostgreSQL uses one engine for both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.dialects.sqlite import aiosqlite as sqlalchemy_aiosqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from tessera.config import Settings
from tessera.db import sqlite_driver
from tessera.db.row_security import check_row_security, enter_organization
from tessera.db.tls import engine_arguments

log = logging.getLogger("tessera.db")
# session.info key: what a unit of work hands to its commit listeners once it has committed.
EMITTED = "emitted"
# session.info key: the settings the unit of work made for its transaction (transaction_settings).
SETTINGS = "transaction_settings"
CommitListener = Callable[[list], None]
# How much of a SQLite database file a connection maps into memory.
MMAP_BYTES = 256 * 1024 * 1024
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]


async def _stop_without_waiting(connection: sqlalchemy_aiosqlite.AsyncAdapt_aiosqlite_connection) -> None:
    connection._terminate_force_close()


# SQLAlchemy closes an invalidated aiosqlite connection (a query cancelled half-way, say a live
# connection closing during its permission check) "gracefully": a shielded task awaits aiosqlite's
# close(), which in turn awaits its worker thread. When that thread is already gone the task
# never ends, and the event loop's shutdown waits for it forever (seen as a test run that hung
# while closing its app). A forced stop asks the thread to end and waits for nothing.
sqlalchemy_aiosqlite.AsyncAdapt_aiosqlite_connection._terminate_graceful_close = _stop_without_waiting  # type: ignore[method-assign,assignment]
sqlite_driver.install()


def _sqlite_path(url: str) -> Path | None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path == ":memory:":
        return None
    return Path(path)


def _configure_sqlite(engine: AsyncEngine, begin_statement: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Take transaction control away from the driver so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Read pages through a memory map instead of a read() per page missing from the connection's
        # small cache: point lookups at 100,000 issues cost ~10% less (issue 16). Address space only;
        # the kernel's page cache holds the pages either way.
        cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        sqlite_driver.begin_with_next_statement(conn.connection.dbapi_connection, begin_statement)

    @event.listens_for(engine.sync_engine, "commit")
    @event.listens_for(engine.sync_engine, "rollback")
    def _on_end(conn):  # type: ignore[no-untyped-def]
        if not conn.invalidated:  # an invalidated connection is discarded, its pending BEGIN with it
            sqlite_driver.forget_begin(conn.connection.dbapi_connection)


def transaction_settings(session: AsyncSession) -> dict[str, str]:
    """The PostgreSQL settings its unit of work made for the session's transaction."""
    return session.info.get(SETTINGS, {})


class Database:
    """Owns the engines; `unit_of_work()` is the transaction boundary used by requests and jobs."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.is_sqlite = settings.is_sqlite
        # tessera.db.row_security: PostgreSQL only, SQLite has no row security.
        self.row_security = settings.database_row_security and not self.is_sqlite
        if self.is_sqlite:
            path = _sqlite_path(self.url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            # A file database keeps a small pool; an in-memory one must not be shared across threads.
            pool = {"poolclass": NullPool} if path is None else {"pool_size": 5, "max_overflow": 10}
            self.write_engine = create_async_engine(self.url, **pool)
            self.read_engine = create_async_engine(self.url, **pool)
            _configure_sqlite(self.write_engine, "BEGIN IMMEDIATE")
            _configure_sqlite(self.read_engine, "BEGIN")
        else:
            url, tls = engine_arguments(self.url)  # sslmode & co. in the URL (tessera.db.tls)
            self.write_engine = create_async_engine(
                url, pool_size=settings.database_pool_size, max_overflow=settings.database_pool_size,
                pool_pre_ping=False, pool_recycle=1800,
                # JIT compiles large plans for tens of ms: a loss for statements that finish in ms.
                connect_args={"server_settings": {"jit": "off"}, **tls})
            self.read_engine = self.write_engine
        # SQLite's busy handler sleeps in steps of up to 100 ms while another writer holds the
        # lock; queueing this process's writers on an asyncio lock instead keeps waits short.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)
        self._commit_listeners: list[CommitListener] = []
        self._before_commit: list[BeforeCommit] = []

    def on_commit(self, listener: CommitListener) -> None:
        """`listener(items)` runs after a writing unit of work commits, with what its session
        recorded under session.info[EMITTED]; never after a rollback. It must not block: it is
        called in the request's task between COMMIT and the response."""
        self._commit_listeners.append(listener)

    def before_commit(self, hook: BeforeCommit) -> None:
        """`await hook(session)` runs as a writing unit of work's last step, in its transaction,
        right before COMMIT (the audit log appends its records there: tessera.audit.chain). An
        exception rolls the whole unit of work back."""
        self._before_commit.append(hook)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    async def check_row_security(self) -> None:
        """At start-up: fail early, saying what to run, when request transactions could not take
        the tenant role (tessera.db.row_security)."""
        if self.row_security:
            async with self.write_engine.connect() as connection:
                await check_row_security(connection)

    @asynccontextmanager
    async def unit_of_work(self, *, write: bool = True, organization_id: int | None = None,
                           settings: Sequence[tuple[str, str]] = ()) -> AsyncIterator[AsyncSession]:
        """Commit when the block ends normally, roll back on any exception. Services flush only.
        Do not open a writing unit of work inside another on SQLite: writers queue on one lock.
        `organization_id`: on PostgreSQL with row security, the transaction sees and writes only
        that organization's rows whatever its statements ask (tessera.db.row_security); the
        request edge passes it. Without it the unit of work runs as the owner role: work that
        spans organizations (sign-in, the worker, the CLI, migrations, bulk loads).
        `settings`: PostgreSQL settings (name, value) for this transaction only, made with the
        organization's in one statement; transaction_settings(session) tells which were made."""
        factory = self._write_sessions if write else self._read_sessions
        lock = self._write_lock if write else None
        if lock is not None:
            await lock.acquire()
        try:
            async with factory() as session:
                try:
                    if organization_id is not None and self.row_security:
                        await enter_organization(session, organization_id, settings)
                    elif settings and not self.is_sqlite:
                        await session.execute(select(*[func.set_config(name, value, True)
                                                       for name, value in settings]))
                    if settings and not self.is_sqlite:
                        session.info[SETTINGS] = dict(settings)
                    yield session
                    if write:
                        for hook in self._before_commit:
                            await hook(session)
                        await session.commit()
                        emitted = session.info.pop(EMITTED, None)
                        if emitted:
                            self._after_commit(emitted)
                    # A reader just closes: that ends its transaction without expiring loaded objects.
                except BaseException:
                    await session.rollback()
                    raise
        finally:
            if lock is not None:
                lock.release()

    def _after_commit(self, emitted: list) -> None:
        for listener in self._commit_listeners:
            try:
                listener(emitted)
            except Exception:  # noqa: BLE001 - the change is committed; a listener must not fail it
                log.exception("commit listener failed")

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
