"""The delivery engine on a real database of its own, on SQLite and PostgreSQL: enqueueing is
idempotent by key; due deliveries are leased (a future one waits, a leased one is not handed out
twice, an expired lease is claimable again); outcomes move a delivery to delivered, failed with a
jittered exponential backoff (never sooner than Retry-After), or dead after the attempt limit or a
permanent refusal; every attempt is recorded; a settle by a worker whose lease was taken over
changes nothing.

The database is this module's own: claims take every organization's due deliveries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import (
    ClaimedDelivery,
    DeliveryRunner,
    NewDelivery,
    OneAtATime,
    Outcome,
    RetryPolicy,
    SenderRegistry,
    claim_due,
    enqueue,
    settle,
)
from tessera.delivery.models import Channel, Delivery, DeliveryAttempt, DeliveryState
from tests.conftest import BACKENDS
from tests.support import OrgHandle, fresh_database, make_org_async

LEASE = timedelta(seconds=60)


@pytest.fixture(scope="module", params=BACKENDS)
def delivery_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                          postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("delivery")), postgres_skip_reason) as url:
        yield url


@pytest.fixture
async def database(delivery_database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=delivery_database_url))
    async with database.unit_of_work() as session:
        await session.execute(delete(Delivery))
    yield database
    await database.dispose()


@pytest.fixture
async def organization(delivery_database_url: str) -> OrgHandle:
    return await make_org_async(delivery_database_url)


def new(org: OrgHandle, key: str, **changes: object) -> NewDelivery:
    values: dict = dict(organization_id=org.organization_id, channel=Channel.WEBHOOK, target="https://hooks.example/a",
                        idempotency_key=key, payload={"n": key}, event_type="issue_updated", target_id=1)
    values.update(changes)
    return NewDelivery(**values)


async def add(database: Database, *deliveries: NewDelivery) -> int:
    async with database.unit_of_work() as session:
        return await enqueue(session, deliveries)


async def claim(database: Database, limit: int = 100) -> list[ClaimedDelivery]:
    async with database.unit_of_work() as session:
        return await claim_due(session, limit=limit, lease=LEASE)


async def row(database: Database, key: str) -> Delivery:
    async with database.unit_of_work(write=False) as session:
        return (await session.scalars(select(Delivery).where(Delivery.idempotency_key == key))).one()


async def attempts_of(database: Database, delivery_id: int) -> list[DeliveryAttempt]:
    async with database.unit_of_work(write=False) as session:
        return list((await session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)
                                           .order_by(DeliveryAttempt.number))).all())


async def make_due(database: Database, key: str) -> None:
    """What the passing of time does: the backoff or the lease ends."""
    async with database.unit_of_work() as session:
        await session.execute(update(Delivery).where(Delivery.idempotency_key == key)
                              .values(next_attempt_at=utcnow() - timedelta(seconds=1)))


async def test_enqueueing_the_same_key_again_adds_nothing(database: Database, organization: OrgHandle) -> None:
    assert await add(database, new(organization, "k1"), new(organization, "k2")) == 2
    assert await add(database, new(organization, "k1", payload={"n": "changed"}), new(organization, "k3")) == 1
    assert (await row(database, "k1")).payload == {"n": "k1"}
    assert (await row(database, "k1")).state == DeliveryState.PENDING


async def test_only_due_deliveries_are_leased_and_never_twice(database: Database, organization: OrgHandle) -> None:
    later = utcnow() + timedelta(minutes=5)
    await add(database, new(organization, "now"), new(organization, "later", not_before=later))
    claimed = await claim(database)
    assert [d.idempotency_key for d in claimed] == ["now"]
    assert claimed[0].attempts == 1 and claimed[0].payload == {"n": "now"}
    leased = await row(database, "now")
    assert leased.state == DeliveryState.SENDING and leased.attempts == 1
    assert await claim(database) == []  # leased, and "later" is not due

    await make_due(database, "now")  # the worker died: its lease ran out
    again = await claim(database)
    assert [(d.idempotency_key, d.attempts) for d in again] == [("now", 2)]


async def test_the_longest_waiting_go_first_within_the_limit(database: Database, organization: OrgHandle) -> None:
    base = utcnow() - timedelta(minutes=10)
    await add(database, *(new(organization, f"d{n}", not_before=base + timedelta(seconds=n)) for n in (3, 1, 2)))
    assert [d.idempotency_key for d in await claim(database, limit=2)] == ["d1", "d2"]


async def settle_one(database: Database, delivery: ClaimedDelivery, outcome: Outcome,
                     policy: RetryPolicy | None = None) -> None:
    async with database.unit_of_work() as session:
        await settle(session, [(delivery, outcome, utcnow(), 12)], policy or RetryPolicy())


async def test_success_is_delivered_with_its_attempt_recorded(database: Database, organization: OrgHandle) -> None:
    await add(database, new(organization, "ok"))
    (delivery,) = await claim(database)
    await settle_one(database, delivery, Outcome.delivered(204, "fine"))
    stored = await row(database, "ok")
    assert stored.state == DeliveryState.DELIVERED and stored.delivered_at is not None
    assert (stored.last_status, stored.claimed_until, stored.last_duration_ms) == (204, None, 12)
    (attempt,) = await attempts_of(database, stored.id)
    assert (attempt.number, attempt.ok, attempt.status_code, attempt.response_snippet) == (1, True, 204, "fine")
    await make_due(database, "ok")
    assert await claim(database) == []  # delivered is final


async def test_a_failure_waits_a_jittered_exponential_backoff(database: Database, organization: OrgHandle) -> None:
    policy = RetryPolicy(base_seconds=10, max_attempts=5)
    await add(database, new(organization, "flaky"))
    for attempt in (1, 2, 3):
        (delivery,) = await claim(database)
        assert delivery.attempts == attempt
        before = utcnow()
        await settle_one(database, delivery, Outcome.failed("boom", status_code=503), policy)
        stored = await row(database, "flaky")
        assert stored.state == DeliveryState.FAILED and stored.last_error == "boom"
        wait = (stored.next_attempt_at - before).total_seconds()
        ceiling = 10 * 2 ** (attempt - 1)
        assert ceiling / 2 - 1 <= wait <= ceiling + 1
        assert await claim(database) == []  # not before its time
        await make_due(database, "flaky")
    assert [a.status_code for a in await attempts_of(database, stored.id)] == [503, 503, 503]


async def test_retry_after_is_honoured(database: Database, organization: OrgHandle) -> None:
    await add(database, new(organization, "throttled"))
    (delivery,) = await claim(database)
    before = utcnow()
    await settle_one(database, delivery, Outcome.failed("429", status_code=429, retry_after_seconds=900),
                     RetryPolicy(base_seconds=1))
    assert ((await row(database, "throttled")).next_attempt_at - before).total_seconds() >= 899


async def test_dead_after_the_limit_or_at_once_when_permanent(database: Database, organization: OrgHandle) -> None:
    policy = RetryPolicy(max_attempts=2)
    await add(database, new(organization, "limit"), new(organization, "gone"))
    first = {d.idempotency_key: d for d in await claim(database)}
    await settle_one(database, first["limit"], Outcome.failed("500"), policy)
    await settle_one(database, first["gone"], Outcome.failed("410 Gone", status_code=410, retry=False), policy)
    assert (await row(database, "gone")).state == DeliveryState.DEAD
    await make_due(database, "limit")
    (second,) = await claim(database)
    await settle_one(database, second, Outcome.failed("500"), policy)
    assert (await row(database, "limit")).state == DeliveryState.DEAD
    await make_due(database, "limit")
    assert await claim(database) == []


async def test_a_settle_after_the_lease_was_taken_over_changes_nothing(database: Database,
                                                                       organization: OrgHandle) -> None:
    await add(database, new(organization, "slow"))
    (stale,) = await claim(database)
    await make_due(database, "slow")
    (current,) = await claim(database)
    await settle_one(database, stale, Outcome.failed("too late"))
    stored = await row(database, "slow")
    assert stored.state == DeliveryState.SENDING and stored.attempts == 2
    await settle_one(database, current, Outcome.delivered(200))
    assert (await row(database, "slow")).state == DeliveryState.DELIVERED


class Recording:
    def __init__(self, failing: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.sent: list[str] = []
        self.failing = failing

    async def __call__(self, delivery: ClaimedDelivery) -> Outcome:
        self.sent.append(delivery.idempotency_key)
        if delivery.idempotency_key in self.failing:
            raise ConnectionError("receiver down")
        return Outcome.delivered(200)


async def test_the_runner_sends_each_channel_and_settles_with_hooks(database: Database,
                                                                    organization: OrgHandle) -> None:
    webhook, email = Recording(failing={"w2"}), Recording()
    settled: list[tuple[str, str]] = []

    async def hook(session, delivery: ClaimedDelivery, state: str, outcome: Outcome) -> None:  # type: ignore[no-untyped-def]
        settled.append((delivery.idempotency_key, state))

    senders = SenderRegistry()
    senders.register(Channel.WEBHOOK, OneAtATime(webhook, concurrency=2))
    senders.register(Channel.EMAIL, OneAtATime(email))
    senders.on_settled(Channel.WEBHOOK, hook)
    with pytest.raises(ValueError):
        senders.register(Channel.EMAIL, OneAtATime(email))
    await add(database, new(organization, "w1"), new(organization, "w2"),
              new(organization, "e1", channel=Channel.EMAIL, target="ada@example.test"),
              new(organization, "s1", channel=Channel.SLACK))  # no Slack sender: left alone
    runner = DeliveryRunner(database, senders, RetryPolicy())
    assert await runner.run_once() == 3
    assert sorted(webhook.sent) == ["w1", "w2"] and email.sent == ["e1"]
    assert sorted(settled) == [("w1", DeliveryState.DELIVERED), ("w2", DeliveryState.FAILED)]
    failed = await row(database, "w2")
    assert "ConnectionError: receiver down" in (failed.last_error or "")
    assert (await row(database, "s1")).state == DeliveryState.PENDING
    assert await runner.run_once() == 0


async def test_a_sender_that_fails_its_whole_batch_fails_each_delivery(database: Database,
                                                                       organization: OrgHandle) -> None:
    class Broken:
        async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
            raise OSError("SMTP server unreachable")

    senders = SenderRegistry()
    senders.register(Channel.EMAIL, Broken())
    await add(database, *(new(organization, f"m{n}", channel=Channel.EMAIL) for n in range(3)))
    assert await DeliveryRunner(database, senders).run_once() == 3
    for n in range(3):
        stored = await row(database, f"m{n}")
        assert stored.state == DeliveryState.FAILED and "SMTP server unreachable" in (stored.last_error or "")


def test_backoff_grows_stays_jittered_and_capped() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=600)
    for attempts in range(1, 15):
        ceiling = min(600, 10 * 2 ** (attempts - 1))
        waits = {policy.backoff(attempts).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 1  # jittered: many workers do not retry in step
    assert policy.backoff(1, retry_after=30).total_seconds() >= 30
    assert policy.backoff(1, retry_after=10**9).total_seconds() <= 600
