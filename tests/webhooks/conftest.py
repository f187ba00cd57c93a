"""Webhook tests run the whole path on a database of their own per backend (the pipeline claims
every organization's pending events, and the shared session database holds other tests' ones):
the API registers, a change commits its events, the real worker pipeline fans them out and
POSTs them to a real receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.main import create_app
from tessera.workers.registry import build_pipeline
from tests.conftest import BACKENDS
from tests.factories.receiver import Receiver, http_receiver
from tests.support import OrgHandle, fetch_rows, fresh_database, make_org


@pytest.fixture(scope="package", params=BACKENDS)
def wh_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("webhooks")), postgres_skip_reason) as url:
        yield url


@pytest.fixture(scope="package")
def wh_settings(wh_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(database_url=wh_database_url, base_url="http://testserver", outbound_allow_private=True,
                    delivery_max_attempts=3, attachments_dir=str(tmp_path_factory.mktemp("attachments")),
                    login_address_failures=1_000_000)


@pytest.fixture(scope="package")
def wh_client(wh_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(wh_settings)) as test_client:
        yield test_client


@pytest.fixture
def wh_org(wh_database_url: str) -> OrgHandle:
    return make_org(wh_database_url)


@pytest.fixture
def wh_project(wh_client: TestClient, wh_org: OrgHandle) -> dict:
    response = wh_client.post("/v2/projects", json={"key": "HOOK", "name": "Hooks"}, headers=wh_org.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as running:
        yield running


def drain(settings: Settings) -> None:
    """What `tessera worker --once` does: fan out every pending event, send every due delivery."""
    async def run() -> None:
        database = Database(settings)
        pipeline = build_pipeline(settings, database)
        try:
            await pipeline.drain()
        finally:
            await pipeline.senders.senders["webhook"].aclose()  # type: ignore[attr-defined]
            await database.dispose()

    asyncio.run(run())


def run_sql(database_url: str, sql: str, params: dict | None = None) -> None:
    """A committed change behind the API's back (a clock moved on, a role taken away)."""
    async def run() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                await session.execute(text(sql), params or {})
        finally:
            await database.dispose()

    asyncio.run(run())


def make_due(database_url: str, webhook_id: int) -> None:
    """Skip a failed delivery's backoff (the clock moved on), so the next drain retries it."""
    run_sql(database_url, "UPDATE deliveries SET next_attempt_at = created_at WHERE target_id = :id "
            "AND state = 'failed'", {"id": webhook_id})


def deliveries_of(database_url: str, webhook_id: int) -> list[dict]:
    return fetch_rows(database_url, "SELECT * FROM deliveries WHERE target_id = :id AND channel = 'webhook' "
                      "ORDER BY id", {"id": webhook_id})


def create_webhook(client: TestClient, org: OrgHandle, url: str, **fields: object) -> dict:
    body = {"name": "Hook", "url": url, "events": ["jira:issue_created"], **fields}
    response = client.post("/v2/webhooks", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def create_issue(client: TestClient, org: OrgHandle, project: dict, summary: str = "Disk alert") -> dict:
    response = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": summary}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()
