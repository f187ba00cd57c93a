"""Bounded replay from the outbox: the events a reconnecting client missed.

A client resumes with the largest event `id` it received. The outbox row with that id gives the
point in time to scan from, through the (organization_id, created_at) index every event
carries; ids come from one sequence, so "after" is `id > last_event_id`. Bounds: the missed
events must fit in REPLAY_LIMIT, be at most REPLAY_WINDOW old, and the organization must not
have written more than SCAN_LIMIT events since (so a stale cursor cannot make us read a day of
a busy organization's events); otherwise the answer is "resync" and the client reloads.

An event id is assigned when its transaction inserts it, not when it commits, so a transaction
that commits after a later-numbered one can land below a cursor. Such an event reaches clients
that were connected when it committed; one that disconnected in those few milliseconds and
resumes past it does not get it again. The scan window reaches CLOCK_SLACK back for the same
reason (created_at is read before the insert, on each server's own clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.events.models import OutboxEvent
from tessera.live.messages import LIVE_EVENT_NAMES, USER_EVENT_NAMES
from tessera.live.registry import Scope

REPLAY_LIMIT = 500
REPLAY_WINDOW = timedelta(hours=24)
SCAN_LIMIT = 20_000
CLOCK_SLACK = timedelta(seconds=60)


async def latest_event_id(session: AsyncSession, organization_id: int) -> int:
    """The organization's newest event id: the cursor of a client that has received nothing yet."""
    newest = await session.scalar(select(OutboxEvent.id).where(OutboxEvent.organization_id == organization_id)
                                  .order_by(OutboxEvent.created_at.desc(), OutboxEvent.id.desc()).limit(1))
    return newest or 0


async def read_backlog(session: AsyncSession, *, scope: Scope, after_id: int) -> Sequence[OutboxEvent] | None:
    """Live-relevant events of the scope with id > after_id, oldest first; None: too many or too
    old to replay (the client must resync)."""
    org = scope.organization_id
    anchor = await session.scalar(select(OutboxEvent.created_at).where(
        OutboxEvent.organization_id == org, OutboxEvent.id == after_id))
    if anchor is None or anchor < utcnow() - REPLAY_WINDOW:
        return None
    since = anchor - CLOCK_SLACK
    window = (OutboxEvent.organization_id == org, OutboxEvent.created_at >= since)
    scanned = await session.scalar(select(func.count()).select_from(
        select(OutboxEvent.id).where(*window).limit(SCAN_LIMIT + 1).subquery()))
    if scanned is not None and scanned > SCAN_LIMIT:
        return None
    if scope.kind == "user":  # the user's own inbox additions
        query = select(OutboxEvent).where(*window, OutboxEvent.id > after_id, OutboxEvent.aggregate_type == "user",
                                          OutboxEvent.aggregate_id == scope.user_id,
                                          OutboxEvent.event_type.in_(sorted(USER_EVENT_NAMES)))
        events = (await session.scalars(query.order_by(OutboxEvent.id).limit(REPLAY_LIMIT + 1))).all()
        return None if len(events) > REPLAY_LIMIT else events
    query = select(OutboxEvent).where(*window, OutboxEvent.id > after_id, OutboxEvent.aggregate_type == "issue",
                                      OutboxEvent.event_type.in_(sorted(LIVE_EVENT_NAMES)))
    if scope.kind == "issue":
        query = query.where(OutboxEvent.aggregate_id == scope.issue_id)
    else:
        query = query.where(OutboxEvent.payload["project_id"].as_integer() == scope.project_id)
    events = (await session.scalars(query.order_by(OutboxEvent.id).limit(REPLAY_LIMIT + 1))).all()
    return None if len(events) > REPLAY_LIMIT else events
