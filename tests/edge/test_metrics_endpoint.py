"""GET /metrics on a database of this module's own (so the deployment-wide figures are exactly
what the tests planted), on SQLite and PostgreSQL: read with a strict parser of the exposition
format; queue figures match the deliveries and events stored; request counters and the delivery
engine's observer count what happened; and who may read it (loopback, the metrics token, an
organization admin) and who may not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import DeliveryRunner, OneAtATime, Outcome, SenderRegistry
from tessera.delivery.models import Channel
from tessera.events.models import OutboxEvent
from tessera.main import create_app
from tests.conftest import BACKENDS
from tests.factories.deliveries import Planned, plant, plant_async
from tests.factories.prometheus import parse, value
from tests.support import OrgHandle, fresh_database, make_org, make_user

TOKEN = "metrics-scraper-token-1234"


@pytest.fixture(scope="module", params=BACKENDS)
def metrics_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                         postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("metrics")), postgres_skip_reason) as url:
        yield url


@pytest.fixture(scope="module")
def app(metrics_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(database_url=metrics_database_url, base_url="http://testserver", metrics_token=TOKEN,
                               attachments_dir=str(tmp_path_factory.mktemp("attachments")),
                               login_address_failures=1_000_000))


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin(metrics_database_url: str) -> OrgHandle:
    return make_org(metrics_database_url)


def scrape(client: TestClient) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    types, samples = parse(response.text)
    assert types["tessera_deliveries"] == "gauge" and types["tessera_http_request_duration_seconds"] == "histogram"
    return samples


def test_queue_figures_are_the_deployments_stored_counts(client: TestClient, metrics_database_url: str,
                                                         admin: OrgHandle) -> None:
    other = make_org(metrics_database_url)
    before = scrape(client)
    plant(metrics_database_url, admin.organization_id, Planned(state="delivered"), Planned(state="delivered"),
          Planned(state="dead", channel="email", target="x@example.test"), Planned(state="failed"),
          Planned(state="pending", channel="slack", due_at=utcnow() - timedelta(minutes=5)))
    plant(metrics_database_url, other.organization_id, Planned(state="delivered"),
          Planned(state="pending", channel="slack"))
    after = scrape(client)

    def grew(state: str, channel: str) -> float:
        return (value(after, "tessera_deliveries", state=state, channel=channel)
                - value(before, "tessera_deliveries", state=state, channel=channel))

    assert grew("delivered", "webhook") == 3 and grew("dead", "email") == 1 and grew("failed", "webhook") == 1
    assert grew("pending", "slack") == 2 and grew("sending", "push") == 0
    # Every state and channel has its series, zeros included.
    assert sum(1 for name, _ in after if name == "tessera_deliveries") == 25
    # The oldest due: the slack delivery due five minutes ago (the failed one waits for its backoff).
    assert 295 <= value(after, "tessera_deliveries_oldest_due_age_seconds") < 400
    # Outbox figures: what the database holds unprocessed (creating organizations wrote events).
    pending, oldest = _outbox(metrics_database_url)
    assert value(after, "tessera_outbox_pending_events") == pending
    assert abs(value(after, "tessera_outbox_oldest_pending_event_age_seconds") - oldest) < 30
    # Counts only: no organization is named.
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert admin.key not in text and other.key not in text and "example.test" not in text


def _outbox(database_url: str) -> tuple[int, float]:
    async def read() -> tuple[int, float]:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work(write=False) as session:
                count = await session.scalar(select(func.count()).select_from(OutboxEvent)
                                             .where(OutboxEvent.processed_at.is_(None)))
                oldest = await session.scalar(select(func.min(OutboxEvent.created_at))
                                              .where(OutboxEvent.processed_at.is_(None)))
            return count or 0, (utcnow() - oldest).total_seconds() if oldest else 0.0
        finally:
            await database.dispose()

    return asyncio.run(read())


def test_requests_are_counted_by_edge_and_status_class(client: TestClient, admin: OrgHandle) -> None:
    before = scrape(client)
    for _ in range(3):
        assert client.get("/v2/myself", headers=admin.headers).status_code == 200
    assert client.get("/v2/deliveries/987654321", headers=admin.headers).status_code == 404
    assert client.get("/rest/api/2/myself", headers=admin.headers).status_code == 200
    assert client.get("/healthz").status_code == 200
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - (value(before, name, **labels)
                                               if (name, frozenset(labels.items())) in before else 0)

    assert grew("tessera_http_requests_total", edge="v2", status_class="2xx") == 3
    assert grew("tessera_http_requests_total", edge="v2", status_class="4xx") == 1
    assert grew("tessera_http_requests_total", edge="rest", status_class="2xx") == 1
    # The pages' edge: /healthz and the scrape before this one.
    assert grew("tessera_http_requests_total", edge="web", status_class="2xx") == 2
    assert grew("tessera_http_request_duration_seconds_count", edge="v2") == 4
    assert grew("tessera_http_request_duration_seconds_sum", edge="v2") > 0


async def test_the_delivery_runner_reports_each_attempt_to_the_observer(app: FastAPI, metrics_database_url: str,
                                                                        admin: OrgHandle) -> None:
    """The server's in-process worker gets the app's ProcessMetrics as its observer (main.py);
    here a runner is given it directly, with a push sender that refuses one target."""
    await plant_async(metrics_database_url, admin.organization_id,
                      *[Planned(state="pending", channel="push", target=f"device-{n}", due=True) for n in range(3)],
                      Planned(state="pending", channel="push", target="device-gone", due=True))

    async def send(delivery) -> Outcome:  # type: ignore[no-untyped-def]
        if delivery.target == "device-gone":
            return Outcome.failed("410 subscription expired", status_code=410, retry=False)
        return Outcome.delivered(201)

    senders = SenderRegistry()
    senders.register(Channel.PUSH, OneAtATime(send))
    metrics = app.state.metrics
    before = dict(metrics.deliveries)
    # A database engine of this test's own event loop (the app's serves the TestClient's).
    database = Database(Settings(database_url=metrics_database_url))
    try:
        assert await DeliveryRunner(database, senders, observer=metrics).run_once() == 4
    finally:
        await database.dispose()
    assert metrics.deliveries[("push", "delivered")] - before.get(("push", "delivered"), 0) == 3
    assert metrics.deliveries[("push", "dead")] - before.get(("push", "dead"), 0) == 1
    assert metrics.delivery_seconds["push"].count >= 4


def test_the_observed_attempts_are_exposed(client: TestClient) -> None:
    samples = scrape(client)
    assert value(samples, "tessera_deliveries_attempted_total", channel="push", outcome="delivered") == 3
    assert value(samples, "tessera_deliveries_attempted_total", channel="push", outcome="dead") == 1
    assert value(samples, "tessera_delivery_duration_seconds_count", channel="push") == 4
    assert value(samples, "tessera_delivery_duration_seconds_bucket", channel="push", le="+Inf") == 4


def test_who_may_read_it(client: TestClient, metrics_database_url: str, admin: OrgHandle) -> None:
    member = make_user(metrics_database_url, admin, role="member")
    answers = {
        "nothing": client.get("/metrics"),
        "a wrong token": client.get("/metrics", headers={"Authorization": "Bearer not-a-token"}),
        "a member": client.get("/metrics", headers=member.headers),
        "an admin": client.get("/metrics", headers=admin.headers),
        "the metrics token": client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}),
    }
    assert {who: r.status_code for who, r in answers.items()} == {
        "nothing": 404, "a wrong token": 401, "a member": 403, "an admin": 200, "the metrics token": 200}
    assert "tessera_deliveries" not in answers["nothing"].text + answers["a member"].text


@pytest.fixture
async def loopback_app(metrics_database_url: str) -> AsyncIterator[FastAPI]:
    """An app of its own: its database engine belongs to this test's event loop."""
    app = create_app(Settings(database_url=metrics_database_url, base_url="http://testserver"))
    yield app
    await app.state.database.dispose()


async def test_loopback_scrapers_need_no_credentials_unless_a_proxy_forwarded_them(loopback_app: FastAPI) -> None:
    async def get(client_host: str, headers: dict[str, str] | None = None) -> httpx.Response:
        transport = httpx.ASGITransport(app=loopback_app, client=(client_host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.get("/metrics", headers=headers)

    local = await get("127.0.0.1")
    assert local.status_code == 200 and "tessera_outbox_pending_events " in local.text
    assert (await get("::1")).status_code == 200
    assert (await get("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"})).status_code == 404
    assert (await get("127.0.0.1", {"Forwarded": "for=203.0.113.9"})).status_code == 404
    assert (await get("203.0.113.9")).status_code == 404
