"""Every storage test runs on SQLite and on the real PostgreSQL (skipped, with the reason,
only when PostgreSQL is unreachable). Each test makes its own organizations, so tenancy
itself keeps tests apart on a shared per-session database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.main import create_app
from tessera.tenancy import secrets
from tests.support import (
    KeptForTheRun,
    OrgHandle,
    fresh_database,
    make_org,
    make_user,
    postgres_unreachable_reason,
)

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Argon2 at its cheapest for the whole run: at the real cost (64 MiB, three passes) every
    organization a test makes, and every sign-in, costs 0.1-2 s on this 2-core machine. A hash
    carries its parameters, so what is hashed meanwhile verifies as cheaply; the servers the
    tests start in other processes verify these hashes just as cheaply. test_password_timing.py
    puts the real cost back for the one test that measures it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(secrets, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        secrets._dummy_hash.cache_clear()
        yield
    secrets._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def postgres_skip_reason() -> str | None:
    return postgres_unreachable_reason()


@pytest.fixture(scope="session")
def kept() -> Iterator[KeptForTheRun]:
    with KeptForTheRun() as resources:
        yield resources


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 postgres_skip_reason: str | None, kept: KeptForTheRun) -> str:
    backend = request.param
    return kept.get(("database", backend), lambda: fresh_database(
        backend, str(tmp_path_factory.mktemp("sqlite")), postgres_skip_reason))


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory, kept: KeptForTheRun) -> Settings:
    # Attachments go to a temp directory, never under the working tree's data/. Every test's
    # client has one address ("testclient"): its failed sign-ins (fuzzing, wrong-token tests) must
    # not block it for the tests after; tests/tenancy/test_throttle*.py build apps that do block.
    return kept.get(("settings", database_url), lambda: nullcontext(Settings(
        database_url=database_url, base_url="http://testserver",
        attachments_dir=str(tmp_path_factory.mktemp("attachments")), login_address_failures=1_000_000)))


@pytest.fixture(scope="session")
def client(settings: Settings, kept: KeptForTheRun) -> TestClient:
    return kept.get(("client", settings.database_url), lambda: TestClient(create_app(settings)))


@pytest.fixture
def org(database_url: str) -> OrgHandle:
    return make_org(database_url)


@pytest.fixture
def other_org(database_url: str) -> OrgHandle:
    return make_org(database_url)


@pytest.fixture
def project(client: TestClient, org: OrgHandle) -> dict:
    response = client.post("/v2/projects", json={"key": "PROJ", "name": "Project"}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def member(database_url: str, org: OrgHandle):  # type: ignore[no-untyped-def]
    return make_user(database_url, org, role="member")


@pytest.fixture
def viewer(database_url: str, org: OrgHandle):  # type: ignore[no-untyped-def]
    return make_user(database_url, org, role="viewer")
