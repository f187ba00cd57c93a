"""Deliveries in the states a test needs, made the way the system makes them: enqueued with
tessera.delivery.engine.enqueue, then claimed with claim_due and settled with settle.

The session's shared database may hold other tests' due deliveries, and a claim takes the
longest-waiting first: the deliveries to move are enqueued due long ago, so a claim of exactly
their number takes exactly them (checked). Those to stay pending are due far in the future
unless `due=True`, so no other test's worker sends them. Two test processes planting into one
database at once would each see the other's long-ago deliveries: planting holds a lock file per
database for its whole run."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import NewDelivery, Outcome, RetryPolicy, claim_due, enqueue, settle
from tessera.delivery.models import Channel, Delivery

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)
# The outcome that leaves a delivery in each state after one attempt (max_attempts is 8).
OUTCOMES = {
    "delivered": Outcome.delivered(200, "ok: received"),
    "failed": Outcome.failed("HTTP 503 from the receiver", status_code=503, response_snippet="try later"),
    "dead": Outcome.failed("HTTP 410 from the receiver", status_code=410, response_snippet="gone", retry=False),
}


@dataclass(frozen=True)
class Planned:
    state: str = "pending"
    channel: str = "webhook"
    target: str = "https://hooks.example.test/receiver"
    target_id: int | None = None
    event_type: str = "issue_created"
    created_at: datetime | None = None
    due: bool = False
    # For a pending one: due at this time (overrides `due`).
    due_at: datetime | None = None
    # For a failed delivery: more than one failed attempt before it is left failed.
    attempts: int = 1


@contextmanager
def _planting(database_url: str) -> Iterator[None]:
    """One planter at a time per database, across the test run's processes (pytest-xdist)."""
    name = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"tessera-test-plant-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def plant_async(database_url: str, organization_id: int, *plans: Planned) -> list[int]:
    """The deliveries' ids, in the order planned."""
    with _planting(database_url):
        return await _plant(database_url, organization_id, plans)


async def _plant(database_url: str, organization_id: int, plans: tuple[Planned, ...]) -> list[int]:
    database = Database(Settings(database_url=database_url))
    try:
        keys = [f"test:{uuid.uuid4().hex}" for _ in plans]
        async with database.unit_of_work() as session:
            await enqueue(session, [
                NewDelivery(organization_id=organization_id, channel=Channel(plan.channel), target=plan.target,
                            idempotency_key=key, payload={"planned": n, "event": plan.event_type},
                            event_type=plan.event_type, target_id=plan.target_id,
                            not_before=_not_before(plan))
                for n, (plan, key) in enumerate(zip(plans, keys, strict=True))])
            by_key = dict((await session.execute(select(Delivery.idempotency_key, Delivery.id)
                                                 .where(Delivery.idempotency_key.in_(keys)))).all())
        ids = [by_key[key] for key in keys]
        plan_of = dict(zip(ids, plans, strict=True))
        for round_number in range(max(plan.attempts for plan in plans)):
            moving = [i for i, plan in plan_of.items() if plan.state != "pending" and round_number < plan.attempts]
            if not moving:
                break
            async with database.unit_of_work() as session:
                if round_number:  # a failed one is due again at once (its backoff skipped)
                    await session.execute(update(Delivery).where(Delivery.id.in_(moving))
                                          .values(next_attempt_at=LONG_AGO))
                claimed = await claim_due(session, limit=len(moving), lease=timedelta(minutes=10))
            assert sorted(c.id for c in claimed) == sorted(moving), "claimed another test's deliveries"
            results = [(c, OUTCOMES[plan_of[c.id].state if round_number == plan_of[c.id].attempts - 1 else "failed"],
                        utcnow(), 40 + c.id % 7) for c in claimed if plan_of[c.id].state != "sending"]
            async with database.unit_of_work() as session:
                await settle(session, results, RetryPolicy())
        async with database.unit_of_work() as session:
            for delivery_id, plan in plan_of.items():
                if plan.created_at is not None:
                    await session.execute(update(Delivery).where(Delivery.id == delivery_id)
                                          .values(created_at=plan.created_at))
        return ids
    finally:
        await database.dispose()


def _not_before(plan: Planned) -> datetime:
    if plan.state != "pending":
        return LONG_AGO
    return plan.due_at or (utcnow() if plan.due else FAR_FUTURE)


def plant(database_url: str, organization_id: int, *plans: Planned) -> list[int]:
    return asyncio.run(plant_async(database_url, organization_id, *plans))


async def states_async(database_url: str, ids: list[int]) -> dict[int, str]:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work(write=False) as session:
            return dict((await session.execute(select(Delivery.id, Delivery.state).where(Delivery.id.in_(ids)))).all())
    finally:
        await database.dispose()
