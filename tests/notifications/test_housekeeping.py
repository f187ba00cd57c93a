"""Retention on a database of the module's own (an unscoped purge takes every organization's old
rows), on SQLite and PostgreSQL: old settled deliveries go with their attempts, old NotifiedEvent
rows go unless their outbox event is still to be processed, in-flight and recent rows stay, an
organization-scoped pass leaves other organizations alone, and the schedule runs once per period."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.events.models import OutboxEvent
from tessera.notifications.housekeeping import Housekeeping, HousekeepingReport, keep_house
from tessera.notifications.models import NotifiedEvent
from tests.factories.deliveries import Planned, plant_async, states_async
from tests.support import make_org_async


@pytest.fixture
async def database(notify_settings: Settings) -> AsyncIterator[Database]:
    database = Database(notify_settings)
    yield database
    await database.dispose()


async def _notified(database: Database, organization_id: int, *, age_days: float, processed: bool) -> int:
    """An outbox event (processed or not) and the fan-out's record of it, `age_days` old."""
    at = utcnow() - timedelta(days=age_days)
    async with database.unit_of_work() as session:
        event = OutboxEvent(organization_id=organization_id, event_type="issue_updated", aggregate_type="issue",
                            aggregate_id=1, payload={"issue_id": 1}, created_at=at,
                            processed_at=at if processed else None)
        session.add(event)
        await session.flush()
        session.add(NotifiedEvent(event_id=event.id, organization_id=organization_id, created_at=at))
        event_id = event.id
    return event_id


async def _still_notified(database: Database, event_ids: list[int]) -> set[int]:
    async with database.unit_of_work(write=False) as session:
        return set((await session.scalars(select(NotifiedEvent.event_id)
                                          .where(NotifiedEvent.event_id.in_(event_ids)))).all())


async def test_retention_purges_old_settled_deliveries_and_handled_events_of_that_organization_only(
        database: Database, notify_url: str) -> None:
    org, other = await make_org_async(notify_url), await make_org_async(notify_url)
    old = utcnow() - timedelta(days=31)
    gone = await plant_async(notify_url, org.organization_id, Planned(state="delivered", created_at=old),
                             Planned(state="dead", attempts=3, created_at=old))
    kept = await plant_async(notify_url, org.organization_id, Planned(state="failed", created_at=old),
                             Planned(state="pending", created_at=old), Planned(state="delivered"))
    theirs = await plant_async(notify_url, other.organization_id, Planned(state="delivered", created_at=old))
    old_done = await _notified(database, org.organization_id, age_days=31, processed=True)
    old_retrying = await _notified(database, org.organization_id, age_days=31, processed=False)
    recent = await _notified(database, org.organization_id, age_days=1, processed=True)
    their_event = await _notified(database, other.organization_id, age_days=31, processed=True)

    report = await keep_house(database, retention_days=30, organization_id=org.organization_id, chunk=1)

    assert report == HousekeepingReport(deliveries=2, notified_events=1)
    assert await states_async(notify_url, gone) == {}
    assert await states_async(notify_url, kept) == dict(zip(kept, ["failed", "pending", "delivered"], strict=True))
    assert await states_async(notify_url, theirs) == dict.fromkeys(theirs, "delivered")
    assert await _still_notified(database, [old_done, old_retrying, recent, their_event]) == {
        old_retrying, recent, their_event}
    # Retention 0 keeps everything.
    assert await keep_house(database, retention_days=0) == HousekeepingReport(0, 0)
    assert await states_async(notify_url, theirs) == dict.fromkeys(theirs, "delivered")


async def test_the_schedule_runs_at_once_then_once_per_period_over_every_organization(
        database: Database, notify_url: str, notify_settings: Settings) -> None:
    org = await make_org_async(notify_url)
    old = utcnow() - timedelta(days=8)
    first = await plant_async(notify_url, org.organization_id, Planned(state="delivered", created_at=old))
    now = [1000.0]
    housekeeping = Housekeeping(database, replace(notify_settings, delivery_retention_days=7),
                                every=timedelta(minutes=10), clock=lambda: now[0])
    report = await housekeeping.run_if_due()
    assert report is not None and report.deliveries >= 1
    assert await states_async(notify_url, first) == {}
    second = await plant_async(notify_url, org.organization_id, Planned(state="dead", created_at=old))
    now[0] += 599
    assert await housekeeping.run_if_due() is None  # not due yet: nothing done
    assert await states_async(notify_url, second) == {second[0]: "dead"}
    now[0] += 1
    assert (await housekeeping.run_if_due()) == HousekeepingReport(deliveries=1, notified_events=0)
    assert await states_async(notify_url, second) == {}
