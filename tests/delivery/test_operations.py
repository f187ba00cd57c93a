"""Retry and purge on SQLite and PostgreSQL: which states each may touch, what a retry keeps
(its attempts) and what it changes (pending, due now), and that a purge takes only the
organization and the states it is given, with their attempts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import RetryPolicy, claim_due, settle
from tessera.delivery.models import DeliveryAttempt
from tessera.delivery.operations import check_purge, check_retry_delivery, do_purge_deliveries
from tessera.delivery.queries import access_delivery, attempts_of
from tessera.errors import Conflict, InvalidInput
from tests.factories.deliveries import OUTCOMES, Planned, plant_async, states_async
from tests.support import OrgHandle


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=database_url))
    yield database
    await database.dispose()


async def _retry(database: Database, org: OrgHandle, delivery_id: int, *, force: bool = False):  # type: ignore[no-untyped-def]
    async with database.unit_of_work() as session:
        delivery = await access_delivery(session, organization_id=org.organization_id, delivery_id=delivery_id)
        return await check_retry_delivery(session, delivery=delivery, force=force)


async def test_a_dead_or_failed_delivery_goes_back_to_pending_due_now_keeping_its_attempts(
        database: Database, database_url: str, org: OrgHandle) -> None:
    dead, failed = await plant_async(database_url, org.organization_id, Planned(state="dead", attempts=2),
                                     Planned(state="failed"))
    before = utcnow()
    for delivery_id, attempts in ((dead, 2), (failed, 1)):
        retried = await _retry(database, org, delivery_id)
        assert retried.state == "pending" and retried.attempts == attempts
        assert retried.claimed_until is None and before - timedelta(seconds=1) <= retried.next_attempt_at <= utcnow()
        async with database.unit_of_work(write=False) as session:
            assert len(await attempts_of(session, retried)) == attempts


async def test_a_retried_dead_delivery_gets_one_more_attempt_then_is_dead_again(
        database: Database, database_url: str, org: OrgHandle) -> None:
    """The attempt count is kept, so the retry policy's limit is already reached."""
    [dead] = await plant_async(database_url, org.organization_id, Planned(state="dead", attempts=8))
    assert (await _retry(database, org, dead)).attempts == 8
    async with database.unit_of_work() as session:  # the longest-waiting due one, for the claim below
        delivery = await access_delivery(session, organization_id=org.organization_id, delivery_id=dead)
        delivery.next_attempt_at = datetime(2001, 1, 1, tzinfo=UTC)
    async with database.unit_of_work() as session:
        [claimed] = await claim_due(session, limit=1, lease=timedelta(minutes=1))
    assert claimed.id == dead and claimed.attempts == 9
    async with database.unit_of_work() as session:
        await settle(session, [(claimed, OUTCOMES["failed"], utcnow(), 5)], RetryPolicy(max_attempts=8))
    assert (await states_async(database_url, [dead]))[dead] == "dead"


async def test_delivered_needs_force_and_sending_is_refused(database: Database, database_url: str,
                                                            org: OrgHandle) -> None:
    delivered, sending, pending = await plant_async(database_url, org.organization_id, Planned(state="delivered"),
                                                    Planned(state="sending"), Planned(state="pending"))
    with pytest.raises(Conflict) as caught:
        await _retry(database, org, delivered)
    assert caught.value.code == "already_delivered"
    with pytest.raises(Conflict) as caught:
        await _retry(database, org, sending, force=True)
    assert caught.value.code == "delivery_in_flight"
    assert await states_async(database_url, [delivered, sending]) == {delivered: "delivered", sending: "sending"}
    resent = await _retry(database, org, delivered, force=True)
    assert resent.state == "pending" and resent.attempts == 1
    # A pending one (due in the far future here) becomes due now.
    now_due = await _retry(database, org, pending)
    assert now_due.state == "pending" and now_due.next_attempt_at <= utcnow()


def test_purge_rules() -> None:
    assert check_purge() == (("delivered", "dead"), None)
    assert check_purge(states=["dead"], older_than_days=30) == (("dead",), 30)
    for state in ("pending", "sending", "failed"):
        with pytest.raises(InvalidInput) as caught:
            check_purge(states=["dead", state])
        assert caught.value.field == "state" and state in caught.value.message
        assert check_purge(states=[state], force=True) == ((state,), None)
    with pytest.raises(InvalidInput) as caught:
        check_purge(states=["gone"])
    assert caught.value.field == "state"
    with pytest.raises(InvalidInput) as caught:
        check_purge(older_than_days=-1)
    assert caught.value.field == "older_than_days"


async def test_purge_takes_only_the_organizations_settled_deliveries_older_than_asked(
        database: Database, database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    old = utcnow() - timedelta(days=40)
    mine = await plant_async(database_url, org.organization_id,
                             Planned(state="delivered", created_at=old), Planned(state="dead", created_at=old),
                             Planned(state="failed", created_at=old), Planned(state="pending", created_at=old),
                             Planned(state="delivered"))
    old_delivered, old_dead, old_failed, old_pending, new_delivered = mine
    [theirs] = await plant_async(database_url, other_org.organization_id, Planned(state="delivered", created_at=old))
    states, days = check_purge(older_than_days=30)
    async with database.unit_of_work() as session:
        purged = await do_purge_deliveries(session, organization_id=org.organization_id, states=states,
                                           older_than_days=days)
    assert purged == 2
    assert await states_async(database_url, [*mine, theirs]) == {
        old_failed: "failed", old_pending: "pending", new_delivered: "delivered", theirs: "delivered"}
    async with database.unit_of_work(write=False) as session:
        orphans = await session.scalar(select(func.count()).select_from(DeliveryAttempt)
                                       .where(DeliveryAttempt.delivery_id.in_([old_delivered, old_dead])))
    assert orphans == 0
    # Forced, of every age: the in-flight ones too, still only this organization's.
    states, days = check_purge(states=["failed", "pending"], force=True)
    async with database.unit_of_work() as session:
        assert await do_purge_deliveries(session, organization_id=org.organization_id, states=states,
                                         older_than_days=days) >= 2
    assert await states_async(database_url, [*mine, theirs]) == {new_delivered: "delivered", theirs: "delivered"}
