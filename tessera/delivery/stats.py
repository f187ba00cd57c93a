"""The delivery pipeline's figures as the database holds them, for the whole deployment: how many
deliveries are in each state per channel, how many outbox events wait, and how long the oldest
have waited. Counts and ages only: nothing here names an organization, a target or an event's
content, so /metrics may show it to any operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.delivery.models import Delivery, DeliveryState
from tessera.events.models import OutboxEvent

_DUE_STATES = (DeliveryState.PENDING.value, DeliveryState.FAILED.value)


@dataclass(frozen=True, slots=True)
class QueueStats:
    # (state, channel) -> how many deliveries.
    deliveries: dict[tuple[str, str], int]
    pending_events: int
    # Seconds; 0 when nothing waits.
    oldest_pending_event_seconds: float
    oldest_due_delivery_seconds: float


async def read_queue_stats(session: AsyncSession) -> QueueStats:
    """Four aggregate queries. The per-state count reads the whole deliveries table (an index-only
    scan of ix_deliveries_due on PostgreSQL), which is why operators purge settled deliveries;
    the ages read one row each from ix_outbox_pending and ix_deliveries_due."""
    now = utcnow()
    counts = {(state, channel): number for state, channel, number in (await session.execute(
        select(Delivery.state, Delivery.channel, func.count()).group_by(Delivery.state, Delivery.channel))).all()}
    pending_events = await session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.processed_at.is_(None))) or 0
    oldest_event = await session.scalar(
        select(func.min(OutboxEvent.created_at)).where(OutboxEvent.processed_at.is_(None)))
    # Due: waiting for a worker now (a failed one whose retry time has not come is not late).
    oldest_due = await session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(Delivery.state.in_(_DUE_STATES),
                                                         Delivery.next_attempt_at <= now))
    return QueueStats(deliveries=counts, pending_events=pending_events,
                      oldest_pending_event_seconds=_age(oldest_event, now),
                      oldest_due_delivery_seconds=_age(oldest_due, now))


def _age(moment: datetime | str | None, now: datetime) -> float:
    if moment is None:
        return 0.0
    if isinstance(moment, str):  # SQLite's min() of a datetime column is its stored text
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    return max((now - moment).total_seconds(), 0.0)
