"""Events nobody is to be told about: an organization's events so far are recorded as handled by
the notifications' fan-out (its NotifiedEvent rows, what a re-run of an event finds), so the
fan-out adds nothing for them, while every other outbox consumer (webhooks, live updates) sees
them as usual. For seeded data: the demo's six months of history, written through the real
services in one transaction, would otherwise mail its example people hundreds of notifications
on the first worker pass."""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.insert_ignoring import insert_ignoring
from tessera.events.models import OutboxEvent
from tessera.notifications.models import NotifiedEvent


async def do_mark_events_notified(session: AsyncSession, *, organization_id: int) -> int:
    """In the caller's transaction: every event of the organization written so far (in this
    transaction too) counts as fanned out; returns how many were marked. One INSERT ... SELECT;
    events already handled are skipped."""
    connection = await session.connection()
    events = OutboxEvent.__table__
    statement = insert_ignoring(connection.dialect.name, NotifiedEvent.__table__).from_select(
        ["event_id", "organization_id", "created_at"],
        select(events.c.id, events.c.organization_id, literal(utcnow(), NotifiedEvent.__table__.c.created_at.type))
        .where(events.c.organization_id == organization_id, events.c.processed_at.is_(None)))
    result = await connection.execute(statement)
    return max(result.rowcount or 0, 0)
