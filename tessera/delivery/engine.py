"""The delivery engine: consumers enqueue deliveries (in the transaction of their choosing),
workers claim the due ones, hand them to the channel's sender and settle the outcome.

At-least-once: a delivery is claimed (state `sending`, leased until `claimed_until`) in one
transaction, sent with no transaction open, and settled in another. A worker that dies between
the two leaves a lease that runs out; the next worker sends again with the same idempotency key,
which receivers use to drop the repeat."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.db.insert_ignoring import insert_ignoring
from tessera.delivery.models import Channel, Delivery, DeliveryAttempt, DeliveryState

log = logging.getLogger("tessera.delivery")

SNIPPET_CHARS = 500
_CLAIMABLE = (DeliveryState.PENDING, DeliveryState.FAILED, DeliveryState.SENDING)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """What a consumer asks to send. `idempotency_key` is derived from what caused it (the event
    and the target), so fanning the same event out again adds nothing."""

    organization_id: int
    channel: Channel
    target: str
    idempotency_key: str
    payload: dict[str, Any]
    event_type: str
    event_id: int | None = None
    target_id: int | None = None
    batch_key: str | None = None
    # Not sent before this time (a batching window); now when None.
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery as a worker holds it while sending: a plain snapshot, no session attached."""

    id: int
    organization_id: int
    channel: str
    event_id: int | None
    event_type: str
    target_id: int | None
    target: str
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """A sender's answer. `retry=False` makes a failure final (dead at once): a receiver that
    answered 410 Gone, a push subscription that expired, an address the policy refuses."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    response_snippet: str | None = None
    retry: bool = True
    retry_after_seconds: float | None = None
    # How long this one took, when its sender timed it (a batch's time otherwise).
    duration_ms: int | None = None

    @classmethod
    def delivered(cls, status_code: int | None = None, response_snippet: str | None = None) -> Outcome:
        return cls(ok=True, status_code=status_code, response_snippet=response_snippet)

    @classmethod
    def failed(cls, error: str, *, status_code: int | None = None, response_snippet: str | None = None,
               retry: bool = True, retry_after_seconds: float | None = None) -> Outcome:
        return cls(ok=False, status_code=status_code, error=error, response_snippet=response_snippet,
                   retry=retry, retry_after_seconds=retry_after_seconds)


class Sender(Protocol):
    """Sends one channel's deliveries. Given a batch so that a sender may share a connection
    (one SMTP session, one HTTP/1.1 pool); answers one outcome per delivery, in order. Must not
    raise for one bad delivery: a raised exception fails the whole batch (to be retried)."""

    async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]: ...


class OneAtATime:
    """A Sender from a function that sends one delivery; a batch runs concurrently, at most
    `concurrency` at a time. An exception from one is that delivery's failure."""

    def __init__(self, send: Callable[[ClaimedDelivery], Awaitable[Outcome]], *, concurrency: int = 64) -> None:
        self._send = send
        self._limit = asyncio.Semaphore(concurrency)

    async def _one(self, delivery: ClaimedDelivery) -> Outcome:
        async with self._limit:
            started = time.perf_counter()
            try:
                outcome = await self._send(delivery)
                return replace(outcome, duration_ms=round((time.perf_counter() - started) * 1000))
            except Exception as error:  # noqa: BLE001 - a sender's bug fails its delivery, not the batch
                log.exception("delivery %s (%s) raised", delivery.id, delivery.channel)
                return Outcome.failed(f"{type(error).__name__}: {error}")

    async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        return list(await asyncio.gather(*(self._one(delivery) for delivery in deliveries)))


# Called in the settling transaction, per delivery that reached a final state (delivered or
# dead) or failed: a webhook counts its consecutive failures and disables itself.
SettledHook = Callable[[AsyncSession, ClaimedDelivery, str, Outcome], Awaitable[None]]


@dataclass
class SenderRegistry:
    senders: dict[str, Sender] = field(default_factory=dict)
    settled_hooks: dict[str, list[SettledHook]] = field(default_factory=dict)

    def register(self, channel: Channel, sender: Sender) -> None:
        if channel in self.senders:
            raise ValueError(f"a sender is already registered for {channel}")
        self.senders[channel] = sender

    def on_settled(self, channel: Channel, hook: SettledHook) -> None:
        self.settled_hooks.setdefault(channel, []).append(hook)


class DeliveryObserver(Protocol):
    """Told of each attempt once its outcome is committed (the process's /metrics counters).
    Called on the worker's event loop: it must be quick and must not raise."""

    def attempted(self, channel: str, state: str, duration_ms: int) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 10.0
    cap_seconds: float = 6 * 3600.0
    lease_seconds: float = 120.0

    def backoff(self, attempts: int, *, retry_after: float | None = None) -> timedelta:
        """Exponential with full jitter (the AWS architecture blog's "full jitter"), never sooner
        than a receiver's Retry-After."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        delay = random.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap_seconds))
        return timedelta(seconds=delay)


async def enqueue(session: AsyncSession, deliveries: Sequence[NewDelivery]) -> int:
    """Insert the deliveries in the caller's transaction, skipping any whose idempotency key
    exists already; returns how many were added."""
    if not deliveries:
        return 0
    now = utcnow()
    rows = [dict(organization_id=d.organization_id, event_id=d.event_id, event_type=d.event_type,
                 channel=str(d.channel), target_id=d.target_id, target=d.target[:500],
                 idempotency_key=d.idempotency_key, batch_key=d.batch_key, payload=d.payload,
                 state=DeliveryState.PENDING.value, attempts=0, next_attempt_at=d.not_before or now,
                 created_at=now, updated_at=now) for d in deliveries]
    connection = await session.connection()
    # RETURNING counts what was added on both drivers (asyncpg reports no rowcount for a batch).
    statement = insert_ignoring(connection.dialect.name, Delivery.__table__, index_elements=["idempotency_key"])
    result = await connection.execute(statement.returning(Delivery.__table__.c.id), rows)
    return len(result.all())


async def claim_due(session: AsyncSession, *, limit: int, lease: timedelta,
                    channels: Sequence[str] | None = None) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries, the longest-waiting first: pending and failed ones whose
    time has come, and sending ones whose worker's lease ran out (their next_attempt_at is the
    lease's end, so one condition serves all three)."""
    now = utcnow()
    query = (select(Delivery)
             .where(Delivery.state.in_([s.value for s in _CLAIMABLE]), Delivery.next_attempt_at <= now)
             .order_by(Delivery.next_attempt_at).limit(limit))
    if channels is not None:
        query = query.where(Delivery.channel.in_(list(channels)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await session.scalars(query)).all()
    if not rows:
        return []
    until = now + lease
    await session.execute(update(Delivery).where(Delivery.id.in_([row.id for row in rows]))
                          .values(state=DeliveryState.SENDING.value, claimed_until=until, next_attempt_at=until,
                                  attempts=Delivery.attempts + 1, updated_at=now)
                          .execution_options(synchronize_session=False))
    return [ClaimedDelivery(id=row.id, organization_id=row.organization_id, channel=row.channel,
                            event_id=row.event_id, event_type=row.event_type, target_id=row.target_id,
                            target=row.target, idempotency_key=row.idempotency_key, payload=row.payload,
                            attempts=row.attempts + 1, created_at=row.created_at) for row in rows]


def next_state(delivery: ClaimedDelivery, outcome: Outcome, policy: RetryPolicy) -> str:
    if outcome.ok:
        return DeliveryState.DELIVERED
    if not outcome.retry or delivery.attempts >= policy.max_attempts:
        return DeliveryState.DEAD
    return DeliveryState.FAILED


_T = Delivery.__table__
# One statement for every settled delivery, run as a batch (executemany): a delivery is moved on
# only while this worker still holds its lease (`attempts` unchanged since the claim).
_SETTLE = (update(_T).where(_T.c.id == bindparam("b_id"), _T.c.attempts == bindparam("b_attempts"))
           .values(state=bindparam("b_state"), claimed_until=None, last_status=bindparam("b_status"),
                   last_error=bindparam("b_error"), last_duration_ms=bindparam("b_duration"),
                   updated_at=bindparam("b_now"), delivered_at=bindparam("b_delivered_at"),
                   next_attempt_at=bindparam("b_next")))


async def settle(session: AsyncSession, results: Sequence[tuple[ClaimedDelivery, Outcome, datetime, int]],
                 policy: RetryPolicy, hooks: dict[str, list[SettledHook]] | None = None) -> None:
    """Record each attempt and move each delivery on. `results`: (delivery, outcome, started_at,
    duration in ms). Only a delivery this worker still leases is moved (a slow worker whose lease
    ran out and was taken over leaves the state to the newer attempt)."""
    if not results:
        return
    now = utcnow()
    changes, attempts = [], []
    for delivery, outcome, started_at, duration_ms in results:
        state = next_state(delivery, outcome, policy)
        error = (outcome.error or None) and outcome.error[:2000]
        if state == DeliveryState.FAILED:
            next_attempt = now + policy.backoff(delivery.attempts, retry_after=outcome.retry_after_seconds)
        else:
            next_attempt = now  # final states are never claimed again; the column is not null
        changes.append(dict(b_id=delivery.id, b_attempts=delivery.attempts, b_state=str(state),
                            b_status=outcome.status_code, b_error=error, b_duration=duration_ms, b_now=now,
                            b_delivered_at=now if state == DeliveryState.DELIVERED else None, b_next=next_attempt))
        attempts.append(dict(organization_id=delivery.organization_id, delivery_id=delivery.id,
                             number=delivery.attempts, started_at=started_at, duration_ms=duration_ms,
                             ok=outcome.ok, status_code=outcome.status_code, error=error,
                             response_snippet=(outcome.response_snippet or "")[:SNIPPET_CHARS] or None))
    connection = await session.connection()
    await connection.execute(_SETTLE, changes)
    await connection.execute(insert(DeliveryAttempt.__table__), attempts)
    for (delivery, outcome, _, _), change in zip(results, changes, strict=True):
        for hook in (hooks or {}).get(delivery.channel, ()):
            await hook(session, delivery, change["b_state"], outcome)


class DeliveryRunner:
    """Claims due deliveries, sends them per channel (channels concurrently) and settles them."""

    def __init__(self, database: Database, senders: SenderRegistry, policy: RetryPolicy | None = None, *,
                 batch_size: int = 200, observer: DeliveryObserver | None = None) -> None:
        self.database = database
        self.senders = senders
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self.observer = observer

    async def run_once(self) -> int:
        """Claim, send and settle one batch; returns how many deliveries were attempted."""
        channels = list(self.senders.senders)
        if not channels:
            return 0
        async with self.database.unit_of_work() as session:
            claimed = await claim_due(session, limit=self.batch_size,
                                      lease=timedelta(seconds=self.policy.lease_seconds), channels=channels)
        if not claimed:
            return 0
        by_channel: dict[str, list[ClaimedDelivery]] = {}
        for delivery in claimed:
            by_channel.setdefault(delivery.channel, []).append(delivery)
        batches = await asyncio.gather(*(self._send(channel, group) for channel, group in by_channel.items()))
        results = [result for batch in batches for result in batch]
        async with self.database.unit_of_work() as session:
            await settle(session, results, self.policy, self.senders.settled_hooks)
        if self.observer is not None:
            for delivery, outcome, _, duration_ms in results:
                self.observer.attempted(delivery.channel, next_state(delivery, outcome, self.policy), duration_ms)
        return len(claimed)

    async def _send(self, channel: str, group: list[ClaimedDelivery]
                    ) -> list[tuple[ClaimedDelivery, Outcome, datetime, int]]:
        started_at = utcnow()
        started = time.perf_counter()
        try:
            outcomes = await self.senders.senders[channel].send_batch(group)
        except Exception as error:  # noqa: BLE001 - the batch is retried; the worker goes on
            log.exception("sender for %s failed a batch of %d", channel, len(group))
            outcomes = [Outcome.failed(f"{type(error).__name__}: {error}") for _ in group]
        duration_ms = round((time.perf_counter() - started) * 1000)
        if len(outcomes) != len(group):
            raise RuntimeError(f"the {channel} sender answered {len(outcomes)} outcomes for {len(group)} deliveries")
        return [(delivery, outcome, started_at, outcome.duration_ms if outcome.duration_ms is not None else duration_ms)
                for delivery, outcome in zip(group, outcomes, strict=True)]
