"""The pipeline a worker process runs, on a real database of its own (SQLite and PostgreSQL):
outbox events are fanned out into deliveries by their handlers and sent by their channel's
sender; fanning one event out again adds nothing; running, it sends a new event's delivery within
a fraction of a second and stops when asked."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import (
    ClaimedDelivery,
    NewDelivery,
    OneAtATime,
    Outcome,
    RetryPolicy,
    SenderRegistry,
    enqueue,
)
from tessera.delivery.models import Channel, Delivery
from tessera.events.models import OutboxEvent
from tessera.events.types import IssueEvent
from tessera.workers.pipeline import Pipeline
from tessera.workers.registry import build_pipeline
from tessera.workers.runner import HandlerRegistry
from tests.conftest import BACKENDS
from tests.support import OrgHandle, fresh_database, make_org_async


@pytest.fixture(scope="module", params=BACKENDS)
def pipeline_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                          postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("pipeline")), postgres_skip_reason) as url:
        yield url


@pytest.fixture
async def database(pipeline_database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=pipeline_database_url))
    async with database.unit_of_work() as session:
        await session.execute(update(OutboxEvent).where(OutboxEvent.processed_at.is_(None))
                              .values(processed_at=utcnow(), claimed_until=None))
        await session.execute(delete(Delivery))
    yield database
    await database.dispose()


@pytest.fixture
async def organization(pipeline_database_url: str) -> OrgHandle:
    return await make_org_async(pipeline_database_url)


def pipeline_for(database: Database) -> tuple[Pipeline, list[tuple[str, float]], list[int]]:
    """A consumer that sends one webhook-channel delivery per issue event; what it sent, and when."""
    sent: list[tuple[str, float]] = []
    fanned: list[int] = []

    async def fan_out(event: OutboxEvent) -> None:
        fanned.append(event.id)
        async with database.unit_of_work() as session:
            await enqueue(session, [NewDelivery(
                organization_id=event.organization_id, channel=Channel.WEBHOOK, target="receiver",
                idempotency_key=f"test:{event.id}", payload={"issue": event.aggregate_id},
                event_type=event.event_type, event_id=event.id)])

    async def send(delivery: ClaimedDelivery) -> Outcome:
        sent.append((delivery.idempotency_key, time.monotonic()))
        return Outcome.delivered(200)

    handlers = HandlerRegistry()
    handlers.register(fan_out, IssueEvent)
    senders = SenderRegistry()
    senders.register(Channel.WEBHOOK, OneAtATime(send))
    return Pipeline(database, handlers, senders, RetryPolicy()), sent, fanned


async def add_event(database: Database, organization: OrgHandle, issue_id: int) -> int:
    table = OutboxEvent.__table__
    async with database.unit_of_work() as session:
        connection = await session.connection()
        return (await connection.execute(insert(table).returning(table.c.id), dict(
            organization_id=organization.organization_id, event_type="issue_updated", aggregate_type="issue",
            aggregate_id=issue_id, actor_id=None, payload={"issue_id": issue_id}, created_at=utcnow(),
            attempts=0))).scalar_one()


async def test_drain_fans_out_and_sends_each_event_once(database: Database, organization: OrgHandle) -> None:
    pipeline, sent, fanned = pipeline_for(database)
    ids = [await add_event(database, organization, n) for n in (1, 2, 3)]
    await pipeline.drain()
    assert fanned == ids
    assert sorted(key for key, _ in sent) == sorted(f"test:{i}" for i in ids)
    # The same event fanned out again (a worker that died before marking it processed) adds nothing.
    async with database.unit_of_work() as session:
        await session.execute(update(OutboxEvent).where(OutboxEvent.id == ids[0])
                              .values(processed_at=None, claimed_until=None))
    await pipeline.drain()
    assert fanned == [*ids, ids[0]] and len(sent) == 3
    async with database.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 3


async def test_running_it_sends_a_new_event_promptly_and_stops(database: Database, organization: OrgHandle) -> None:
    pipeline, sent, _ = pipeline_for(database)
    stop = asyncio.Event()
    task = asyncio.create_task(pipeline.run_forever(stop))
    await asyncio.sleep(0.3)  # idle: both loops waiting
    latencies = []
    for n in range(5):
        started = time.monotonic()
        event_id = await add_event(database, organization, 100 + n)
        while not any(key == f"test:{event_id}" for key, _ in sent):
            assert time.monotonic() - started < 5, "the event was not delivered"
            await asyncio.sleep(0.005)
        latencies.append(next(at for key, at in sent if key == f"test:{event_id}") - started)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    # Delivered while running, without a drain; how fast is measured by bench/notify.py, not here.
    assert len(latencies) == 5 and max(latencies) < 5


async def test_the_worker_built_for_a_process_purges_old_settled_deliveries_while_it_runs(
        database: Database, organization: OrgHandle, pipeline_database_url: str) -> None:
    """build_pipeline wires the retention (tessera.notifications.housekeeping) in as a loop of its own."""
    settings = Settings(database_url=pipeline_database_url)
    async with database.unit_of_work() as session:
        await enqueue(session, [NewDelivery(
            organization_id=organization.organization_id, channel=Channel.WEBHOOK, target=f"old {n}",
            idempotency_key=f"old:{n}", payload={}, event_type="issue_updated") for n in (1, 2)])
        await session.execute(update(Delivery).where(Delivery.idempotency_key.in_(["old:1", "old:2"])).values(
            state="delivered", created_at=utcnow() - timedelta(days=settings.delivery_retention_days + 1),
            updated_at=utcnow() - timedelta(days=settings.delivery_retention_days + 1)))
        # Pending, and due only later: the pipeline's sender must not settle it (its target is no
        # address, so a send would make it dead, and purgeable) before the purge looks at it.
        await session.execute(update(Delivery).where(Delivery.idempotency_key == "old:2").values(
            state="pending", next_attempt_at=utcnow() + timedelta(hours=1)))
    pipeline = build_pipeline(settings, database)
    stop = asyncio.Event()
    task = asyncio.create_task(pipeline.run_forever(stop))
    try:
        started = time.monotonic()
        while True:
            async with database.unit_of_work(write=False) as session:
                left = set((await session.scalars(select(Delivery.idempotency_key).where(
                    Delivery.idempotency_key.in_(["old:1", "old:2"])))).all())
            if "old:1" not in left or time.monotonic() - started > 10:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await pipeline.aclose()
    # The settled one is gone; the pending one (a message on its way, whatever its age) stays.
    assert left == {"old:2"}
