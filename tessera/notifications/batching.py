"""Intelligent batching: changes to one issue, by anyone, within a window coalesce into one
delivery per recipient and channel that lists every change.

- A change joins the recipient's open batch for that issue and channel: the `pending` delivery
  with batch_key `n:{user}:{channel}:{issue}` (locked FOR UPDATE on PostgreSQL). A `sending`
  one is closed (its worker has it); the change opens a new batch, sent at `first change +
  window`. A window of 0 turns batching off: one delivery per change.
- Mentions and assignments are urgent, as in Jira: their batch is made due now.
- A user with a digest for the channel gets the change in their hourly or daily digest instead.
- At most `cap_per_hour` deliveries per recipient and channel are opened per rolling hour; after
  that, changes gather in one overflow delivery, sent when the hour has passed.

Idempotency: a batch is opened with the key `n:{event}:{user}:{channel}` (the event that opened
it), and a change whose event id a batch already lists is not added again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.delivery.engine import NewDelivery, enqueue
from tessera.delivery.models import Channel, Delivery, DeliveryState

CAP_PER_HOUR = 30
DIGESTS = ("hourly", "daily")
# A batch lists this many changes; later ones are counted in `omitted` (a storm of 500 edits
# must not rewrite a 500-entry payload 500 times, nor make a 500-line email).
MAX_LISTED_CHANGES = 50


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    window_seconds: float
    cap_per_hour: int = CAP_PER_HOUR


@dataclass(frozen=True, slots=True)
class Addressee:
    """One recipient on one channel."""

    organization_id: int
    user_id: int
    channel: Channel
    target: str
    time_zone: str = "UTC"
    digest: str = "off"


@dataclass(frozen=True, slots=True)
class ChangeNote:
    """One change as the delivery lists it (the contract the senders read)."""

    event_id: int
    event_type: str
    kind: str
    actor_id: int | None
    at: datetime
    payload: dict[str, Any]
    issue_id: int | None
    issue_key: str | None
    urgent: bool = False

    def entry(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "event_type": self.event_type, "kind": self.kind,
                "actor_id": self.actor_id, "at": self.at.isoformat(), "issue_id": self.issue_id,
                "issue_key": self.issue_key, "payload": self.payload}


def issue_batch_key(user_id: int, channel: str, issue_id: int | None) -> str:
    return f"n:{user_id}:{channel}:{issue_id}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def digest_due(mode: str, after: datetime, time_zone: str) -> datetime:
    """The end of the digest's period: the next full hour, or the user's next local midnight."""
    local = after.astimezone(_zone(time_zone))
    if mode == "hourly":
        return (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(after.tzinfo)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return midnight.replace(tzinfo=local.tzinfo).astimezone(after.tzinfo)


async def lock_issue_batches(session: AsyncSession, issue_id: int) -> None:
    """PostgreSQL: serialize fan-outs about one issue across workers for this transaction, so two
    workers do not both find no open batch and open two. SQLite has one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                              {"key": f"tessera-notify-issue:{issue_id}"})


async def open_batches(session: AsyncSession, batch_keys: Sequence[str]) -> dict[str, Delivery]:
    """The open (pending) batches of these keys, in one query, locked FOR UPDATE on PostgreSQL
    (a worker claiming one waits for this transaction, or skips it)."""
    if not batch_keys:
        return {}
    query = select(Delivery).where(Delivery.batch_key.in_(sorted(set(batch_keys))),
                                   Delivery.state == DeliveryState.PENDING.value).order_by(Delivery.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    found: dict[str, Delivery] = {}
    for batch in (await session.scalars(query)).all():
        found.setdefault(batch.batch_key or "", batch)
    return found


def batch_key_for(to: Addressee, issue_id: int | None) -> str:
    """Where a change for this addressee goes first: their digest, else the issue's batch."""
    if to.digest in DIGESTS:
        return f"n:{to.user_id}:{to.channel}:digest"
    return issue_batch_key(to.user_id, to.channel, issue_id)


async def _open_batch(session: AsyncSession, batch_key: str, known: Mapping[str, Delivery] | None) -> Delivery | None:
    if known is not None and batch_key in known:
        return known[batch_key]
    return (await open_batches(session, [batch_key])).get(batch_key)


async def _join(session: AsyncSession, batch: Delivery, note: ChangeNote, now: datetime) -> None:
    payload = dict(batch.payload)
    changes = list(payload.get("changes", []))
    if any(change.get("event_id") == note.event_id for change in changes):
        return
    if len(changes) < MAX_LISTED_CHANGES:
        changes.append(note.entry())
    else:
        payload["omitted"] = int(payload.get("omitted", 0)) + 1
    payload["changes"] = changes
    values: dict[str, Any] = {"payload": payload, "updated_at": now}
    if note.urgent and batch.next_attempt_at > now:
        values["next_attempt_at"] = now
    await session.execute(update(Delivery).where(Delivery.id == batch.id).values(**values)
                          .execution_options(synchronize_session=False))


def _new(to: Addressee, note: ChangeNote, *, kind: str, batch_key: str, not_before: datetime) -> NewDelivery:
    """One event opens at most one delivery per recipient and channel: its key says which."""
    issue_id = note.issue_id if kind == "issue" else None
    issue_key = note.issue_key if kind == "issue" else None
    return NewDelivery(
        organization_id=to.organization_id, channel=to.channel, target=to.target, target_id=to.user_id,
        idempotency_key=f"n:{note.event_id}:{to.user_id}:{to.channel}", event_id=note.event_id,
        event_type=note.event_type, batch_key=batch_key, not_before=not_before,
        payload={"kind": kind, "recipient_id": to.user_id, "issue_id": issue_id, "issue_key": issue_key,
                 "changes": [note.entry()]})


async def _join_or_open(session: AsyncSession, to: Addressee, note: ChangeNote, *, kind: str, batch_key: str,
                        not_before: datetime, now: datetime, known: Mapping[str, Delivery] | None = None) -> None:
    batch = await _open_batch(session, batch_key, known)
    if batch is not None:
        await _join(session, batch, note, now)
    else:
        await enqueue(session, [_new(to, note, kind=kind, batch_key=batch_key, not_before=not_before)])


async def _opened_last_hour(session: AsyncSession, to: Addressee, now: datetime) -> tuple[int, datetime | None]:
    """How many issue batches were opened for this recipient and channel in the past hour, and
    when the oldest of them was (the cap frees a place an hour after it)."""
    prefix = f"n:{to.user_id}:{to.channel}:"
    count, oldest = (await session.execute(select(func.count(), func.min(Delivery.created_at)).where(
        Delivery.organization_id == to.organization_id, Delivery.channel == str(to.channel),
        Delivery.target_id == to.user_id, Delivery.created_at >= now - timedelta(hours=1),
        Delivery.batch_key.like(prefix + "%"),
        Delivery.batch_key.not_in([prefix + "digest", prefix + "overflow"])))).one()
    return int(count), oldest


async def add_change(session: AsyncSession, to: Addressee, note: ChangeNote, policy: BatchPolicy,
                     known: Mapping[str, Delivery] | None = None) -> None:
    """Put one change into the right delivery for one recipient and channel (see the module's
    docstring). Runs in the fan-out's transaction, after lock_issue_batches. `known`: the open
    batches the caller read already with open_batches (by batch_key_for); others are looked up."""
    now = utcnow()
    prefix = f"n:{to.user_id}:{to.channel}:"
    if to.digest in DIGESTS:
        await _join_or_open(session, to, note, kind="digest", batch_key=prefix + "digest",
                            not_before=digest_due(to.digest, now, to.time_zone), now=now, known=known)
        return
    batch_key = issue_batch_key(to.user_id, to.channel, note.issue_id)
    if policy.window_seconds > 0:
        batch = await _open_batch(session, batch_key, known)
        if batch is not None:
            await _join(session, batch, note, now)
            return
    count, oldest = await _opened_last_hour(session, to, now)
    if count >= policy.cap_per_hour:
        await _join_or_open(session, to, note, kind="overflow", batch_key=prefix + "overflow",
                            not_before=(oldest or now) + timedelta(hours=1), now=now)
        return
    due = now if note.urgent else note.at + timedelta(seconds=policy.window_seconds)
    await enqueue(session, [_new(to, note, kind="issue", batch_key=batch_key, not_before=due)])
