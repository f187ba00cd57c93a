"""Test helpers: databases on both backends, organizations, authenticated clients."""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.migrate import upgrade_database
from tessera.onboarding.organizations import check_create_organization
from tessera.tenancy.service import check_create_user, load_organization_by_key

POSTGRES_URL = os.environ.get("TESSERA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TESSERA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_counter = itertools.count(1)
T = TypeVar("T")


def unique_key(prefix: str = "ORG") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}{next(_counter)}"


async def _pg_admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def postgres_unreachable_reason() -> str | None:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {error}"
    return None


def redis_unreachable_reason() -> str | None:
    """Why the tests that need Redis (the live channel across processes) cannot run, or None."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis not reachable at {REDIS_URL}: {error}"
    return None


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, migrated database on the test server, dropped afterwards."""
    name = f"tessera_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    try:
        upgrade_database(url)
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def fresh_sqlite_database(directory: str) -> Iterator[str]:
    url = f"sqlite:///{directory}/tessera-{uuid.uuid4().hex[:8]}.db"
    upgrade_database(url)
    yield url


@contextmanager
def fresh_database(backend: str, directory: str, postgres_skip_reason: str | None) -> Iterator[str]:
    """A migrated database of `backend` ("sqlite" files go in `directory`) for a fixture
    parametrized over BACKENDS; PostgreSQL's cases are skipped, with the reason, when it is down."""
    if backend == "postgres":
        if postgres_skip_reason:
            pytest.skip(postgres_skip_reason)
        with fresh_postgres_database() as url:
            yield url
    else:
        with fresh_sqlite_database(directory) as url:
            yield url


class KeptForTheRun:
    """What a test process makes once and keeps to its end: the databases of both backends, their
    apps and servers. Pytest finalizes a parametrized session fixture whenever the next test asks
    for the other parameter, and pytest-xdist's loadfile hands each worker file after file, each
    file running on both backends: without this, every file migrated two new databases and
    started its apps and servers again (several seconds per file). The session fixtures stay
    parametrized and look their resource up here."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._made: dict[Hashable, object] = {}

    def get(self, key: Hashable, make: Callable[[], AbstractContextManager[T]]) -> T:
        if key not in self._made:
            self._made[key] = self._stack.enter_context(make())
        return self._made[key]  # type: ignore[return-value]

    def __enter__(self) -> KeptForTheRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()


@dataclass(frozen=True)
class OrgHandle:
    organization_id: int
    key: str
    admin_user_id: int
    admin_email: str
    admin_password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class UserHandle:
    user_id: int
    email: str
    token: str
    password: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_org_async(database_url: str, *, password: str | None = "correct horse battery",
                         admin_name: str | None = None) -> OrgHandle:
    key = unique_key()
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            new = await check_create_organization(session, key=key, name=f"Org {key}",
                                                  admin_email=f"admin@{key.lower()}.test", admin_password=password,
                                                  admin_name=admin_name)
        return OrgHandle(new.organization.id, new.organization.key, new.admin.id, new.admin.email,
                         password or "", new.api_token)
    finally:
        await database.dispose()


async def make_user_async(database_url: str, org: OrgHandle, *, role: str = "member",
                          password: str | None = None, email: str | None = None) -> UserHandle:
    database = Database(Settings(database_url=database_url))
    email = email or f"user{next(_counter)}-{uuid.uuid4().hex[:6]}@{org.key.lower()}.test"
    try:
        async with database.unit_of_work() as session:
            organization = await load_organization_by_key(session, org.key)
            new = await check_create_user(session, organization=organization, email=email,
                                          display_name=email.split("@")[0].title(), password=password, role=role)
        assert new.api_token is not None
        return UserHandle(new.user.id, new.user.email, new.api_token, password)
    finally:
        await database.dispose()


def make_org(database_url: str, **kwargs: object) -> OrgHandle:
    return asyncio.run(make_org_async(database_url, **kwargs))  # type: ignore[arg-type]


def make_user(database_url: str, org: OrgHandle, **kwargs: object) -> UserHandle:
    return asyncio.run(make_user_async(database_url, org, **kwargs))  # type: ignore[arg-type]


async def set_limits_async(database_url: str, org_key: str, **limits: int | None) -> None:
    from tessera.tenancy.limits import check_set_limits

    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            organization = await load_organization_by_key(session, org_key)
            await check_set_limits(session, organization=organization, **limits)
    finally:
        await database.dispose()


def set_limits(database_url: str, org_key: str, **limits: int | None) -> None:
    """What `tessera set-limits KEY ...` does, in-process."""
    asyncio.run(set_limits_async(database_url, org_key, **limits))


async def fetch_rows_async(database_url: str, sql: str, params: dict | None = None) -> list[dict]:
    from sqlalchemy import text

    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work(write=False) as session:
            result = await session.execute(text(sql), params or {})
            return [dict(row._mapping) for row in result]
    finally:
        await database.dispose()


def fetch_rows(database_url: str, sql: str, params: dict | None = None) -> list[dict]:
    """Raw rows, for tests that check what is stored (hashes, outbox state)."""
    return asyncio.run(fetch_rows_async(database_url, sql, params))


@contextmanager
def empty_postgres_database() -> Iterator[str]:
    """A new database with no schema at all (for testing `tessera migrate`), dropped afterwards."""
    name = f"tessera_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def create_estimated_issues(client: TestClient, org: OrgHandle, project: dict,
                            estimates: dict[str, str | None]) -> dict[str, str]:
    """A Task per name (its summary), with that original estimate if any: name → issue key."""
    keys = {}
    for name, estimate in estimates.items():
        body = {"project_id": project["id"], "issue_type": "Task", "summary": name}
        if estimate:
            body["original_estimate"] = estimate
        response = client.post("/v2/issues", json=body, headers=org.headers)
        assert response.status_code == 201, response.text
        keys[name] = response.json()["key"]
    return keys


@contextmanager
def counting_statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block, in order."""
    database = client.app.state.database  # type: ignore[attr-defined]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engines = {database.read_engine.sync_engine, database.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
