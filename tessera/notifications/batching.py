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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, func, select, text, update
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


async def lock_recipients(session: AsyncSession, user_ids: Iterable[int]) -> None:
    """PostgreSQL: serialize, across workers and for this transaction, the fan-outs that add to
    these recipients' batches, so two workers never both find no open batch (an issue's, the
    digest, the overflow) and open two, nor both count the hourly cap short. One lock per
    recipient, taken in id order and before any batch is touched, so two transactions never
    wait on each other in opposite orders. SQLite has one writer at a time already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for user_id in sorted(set(user_ids)):
        await session.execute(_LOCK_RECIPIENT, {"key": f"tessera-notify-user:{user_id}"})


_LOCK_RECIPIENT = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def open_batches(session: AsyncSession, batch_keys: Sequence[str]) -> dict[str, Delivery]:
    """The open (pending) batches of these keys, in one query, in id order, locked FOR UPDATE on
    PostgreSQL (a worker claiming one waits for this transaction, or skips it)."""
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


def _joined(batch: Delivery, note: ChangeNote, now: datetime) -> dict[str, Any] | None:
    """The batch's new values with the change in it; None when it lists the event already."""
    payload = dict(batch.payload)
    changes = list(payload.get("changes", []))
    if any(change.get("event_id") == note.event_id for change in changes):
        return None
    if len(changes) < MAX_LISTED_CHANGES:
        changes.append(note.entry())
    else:
        payload["omitted"] = int(payload.get("omitted", 0)) + 1
    payload["changes"] = changes
    due = now if note.urgent and batch.next_attempt_at > now else batch.next_attempt_at
    return {"b_id": batch.id, "b_payload": payload, "b_due": due}


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


async def _opened_last_hour(session: AsyncSession, addressees: Sequence[Addressee],
                            now: datetime) -> dict[tuple[int, str], tuple[int, datetime]]:
    """Per (user, channel): how many issue batches were opened in the past hour and when the
    oldest was (the cap frees a place an hour after it). One grouped query for all of them."""
    if not addressees:
        return {}
    organization_id = addressees[0].organization_id
    special = [f"n:{to.user_id}:{to.channel}:{suffix}" for to in addressees for suffix in ("digest", "overflow")]
    rows = (await session.execute(
        select(Delivery.target_id, Delivery.channel, func.count(), func.min(Delivery.created_at))
        .where(Delivery.organization_id == organization_id,
               Delivery.channel.in_(sorted({str(to.channel) for to in addressees})),
               Delivery.target_id.in_(sorted({to.user_id for to in addressees})),
               Delivery.created_at >= now - timedelta(hours=1), Delivery.batch_key.like("n:%"),
               Delivery.batch_key.not_in(special))
        .group_by(Delivery.target_id, Delivery.channel))).all()
    return {(int(user_id), str(channel)): (int(count), oldest) for user_id, channel, count, oldest in rows}


async def add_changes(session: AsyncSession, addressees: Sequence[Addressee], note: ChangeNote,
                      policy: BatchPolicy) -> None:
    """Put one change into the right delivery for each recipient and channel (see the module's
    docstring). Runs in the fan-out's transaction, after lock_recipients. A fixed number of
    statements whatever the number of recipients: one read of the open batches, one of the
    hourly counts, one of the open overflows (when a cap is reached), one UPDATE (executemany)
    and one INSERT."""
    now = utcnow()
    known = await open_batches(session, [
        f"n:{to.user_id}:{to.channel}:digest" if to.digest in DIGESTS
        else issue_batch_key(to.user_id, to.channel, note.issue_id) for to in addressees])
    joins: list[dict[str, Any] | None] = []
    opens: list[NewDelivery] = []
    uncapped: list[Addressee] = []
    for to in addressees:
        if to.digest in DIGESTS:
            key = f"n:{to.user_id}:{to.channel}:digest"
            if key in known:
                joins.append(_joined(known[key], note, now))
            else:
                opens.append(_new(to, note, kind="digest", batch_key=key,
                                  not_before=digest_due(to.digest, now, to.time_zone)))
            continue
        key = issue_batch_key(to.user_id, to.channel, note.issue_id)
        if policy.window_seconds > 0 and key in known:
            joins.append(_joined(known[key], note, now))
        else:
            uncapped.append(to)
    counts = await _opened_last_hour(session, uncapped, now)
    over = [to for to in uncapped if counts.get((to.user_id, str(to.channel)), (0, now))[0] >= policy.cap_per_hour]
    overflows = await open_batches(session, [f"n:{to.user_id}:{to.channel}:overflow" for to in over])
    for to in uncapped:
        if to in over:
            key = f"n:{to.user_id}:{to.channel}:overflow"
            if key in overflows:
                joins.append(_joined(overflows[key], note, now))
            else:
                oldest = counts[(to.user_id, str(to.channel))][1]
                opens.append(_new(to, note, kind="overflow", batch_key=key, not_before=oldest + timedelta(hours=1)))
        else:
            due = now if note.urgent else note.at + timedelta(seconds=policy.window_seconds)
            opens.append(_new(to, note, kind="issue", batch_key=issue_batch_key(to.user_id, to.channel,
                                                                                note.issue_id), not_before=due))
    rows = [row for row in joins if row is not None]
    if rows:
        await session.execute(_JOIN, [{**row, "b_now": now} for row in rows])
    await enqueue(session, opens)


# One statement for every batch an event joins (executemany), on the table: no ORM bookkeeping.
_JOIN = (update(Delivery.__table__).where(Delivery.__table__.c.id == bindparam("b_id"))
         .values(payload=bindparam("b_payload"), next_attempt_at=bindparam("b_due"), updated_at=bindparam("b_now")))
