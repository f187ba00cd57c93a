"""Emit events in the caller's transaction; claim and settle them from workers.

Claiming uses FOR UPDATE SKIP LOCKED on PostgreSQL so any number of workers share the queue.
SQLite has one writer at a time, so a plain claim inside an immediate transaction is safe there.

`emit` takes a typed event (tessera.events.types) and is the one function that writes an outbox
row from Python. It also records each event on the session (`session.info[EMITTED]`); the unit
of work hands that list to its commit listeners once the transaction has committed (the live hub
publishes them), and drops it on rollback. The table stays the source of truth: replay reads from it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.engine import EMITTED
from tessera.events.models import OutboxEvent
from tessera.events.types import DomainEvent

# On the table, run on the session's connection: the ORM's bulk-insert path costs more than the insert.
_INSERT = insert(OutboxEvent.__table__).returning(OutboxEvent.__table__.c.id)


@dataclass(frozen=True, slots=True)
class EmittedEvent:
    """An outbox row as written, with the typed event it was written from, kept on the session
    until its transaction commits. Like a row read back (OutboxEvent), it answers `event_class`."""

    id: int
    organization_id: int
    event_type: str
    aggregate_type: str
    aggregate_id: int
    actor_id: int | None
    payload: dict[str, Any]
    created_at: datetime
    event: DomainEvent

    @property
    def event_class(self) -> type[DomainEvent]:
        return type(self.event)


async def emit(session: AsyncSession, event: DomainEvent, *, organization_id: int, aggregate_id: int,
               actor_id: int | None) -> int:
    """Write the event in the caller's transaction and return its id (one round trip: INSERT ...
    RETURNING, on PostgreSQL and on SQLite >= 3.35). With `emit_all`, the only writer of outbox rows
    from Python; statements that carry their outbox rows themselves get them from events.outbox_sql and call
    `remember_emitted`."""
    created_at = utcnow()
    payload = event.payload()
    # One parameter set, not a list: a list takes the driver's executemany path, slower for one row.
    connection = await session.connection()
    event_id = (await connection.execute(_INSERT, dict(
        organization_id=organization_id, event_type=event.name, aggregate_type=event.aggregate_type,
        aggregate_id=aggregate_id, actor_id=actor_id, payload=payload, created_at=created_at,
        attempts=0))).scalar_one()
    remember_emitted(session, event, event_id=event_id, organization_id=organization_id,
                     aggregate_id=aggregate_id, actor_id=actor_id, payload=payload, created_at=created_at)
    return event_id


async def emit_all(session: AsyncSession, events: Sequence[DomainEvent], *, organization_id: int, aggregate_id: int,
                   actor_id: int | None) -> list[int]:
    """`emit` for several events about one aggregate, in one round trip (one INSERT of all the
    rows, RETURNING their ids); returns the ids in the order of `events`."""
    if len(events) <= 1:
        return [await emit(session, event, organization_id=organization_id, aggregate_id=aggregate_id,
                           actor_id=actor_id) for event in events]
    created_at = utcnow()
    rows = [dict(organization_id=organization_id, event_type=event.name, aggregate_type=event.aggregate_type,
                 aggregate_id=aggregate_id, actor_id=actor_id, payload=event.payload(), created_at=created_at,
                 attempts=0) for event in events]
    connection = await session.connection()
    # One multi-row INSERT ... RETURNING (SQLAlchemy's insertmanyvalues). RETURNING's order is not
    # promised, but ids are assigned in the order of the rows: sorted, they match the events.
    event_ids = sorted((await connection.execute(_INSERT, rows)).scalars())
    for event, event_id, row in zip(events, event_ids, rows, strict=True):
        remember_emitted(session, event, event_id=event_id, organization_id=organization_id,
                         aggregate_id=aggregate_id, actor_id=actor_id, payload=row["payload"], created_at=created_at)
    return event_ids


def remember_emitted(session: AsyncSession, event: DomainEvent, *, event_id: int, organization_id: int,
                     aggregate_id: int, actor_id: int | None, payload: dict[str, Any], created_at: datetime) -> None:
    """For writers that insert an outbox row themselves (as part of a larger statement): hand it
    to the commit listeners exactly as `emit` does. `payload` is what the row holds
    (`event.payload()`, computed once by the caller)."""
    session.info.setdefault(EMITTED, []).append(EmittedEvent(
        id=event_id, organization_id=organization_id, event_type=event.name, aggregate_type=event.aggregate_type,
        aggregate_id=aggregate_id, actor_id=actor_id, payload=payload, created_at=created_at, event=event))


@dataclass(frozen=True, slots=True)
class StatementEvents:
    """Events that one larger statement inserts into the outbox itself (events.outbox_sql), all
    about one aggregate: the statement's `event_types` and `payloads` parameters, then the ids it
    returns handed to the commit listeners as `emit` would."""

    events: Sequence[DomainEvent]
    payloads: list[dict[str, Any]]

    @classmethod
    def of(cls, events: Sequence[DomainEvent]) -> StatementEvents:
        return cls(events, [event.payload() for event in events])

    def parameters(self) -> dict[str, list[str]]:
        """Names and JSON texts, as two arrays the statement unnests together."""
        return {"event_types": [event.name for event in self.events],
                "payloads": [json.dumps(payload) for payload in self.payloads]}

    def remember(self, session: AsyncSession, event_ids: Sequence[int], *, organization_id: int, aggregate_id: int,
                 actor_id: int | None, created_at: datetime) -> None:
        """`event_ids`: what the statement returned, in the order of the events."""
        for event_id, event, payload in zip(event_ids, self.events, self.payloads, strict=True):
            remember_emitted(session, event, event_id=event_id, organization_id=organization_id,
                             aggregate_id=aggregate_id, actor_id=actor_id, payload=payload, created_at=created_at)


async def claim_batch(session: AsyncSession, *, limit: int = 100, lease: timedelta = timedelta(seconds=60)
                      ) -> Sequence[OutboxEvent]:
    """Lease up to `limit` unprocessed events, oldest first. Expired leases are claimable again."""
    now = utcnow()
    query = (select(OutboxEvent)
             .where(OutboxEvent.processed_at.is_(None),
                    or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now))
             .order_by(OutboxEvent.id).limit(limit))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    events = (await session.scalars(query)).all()
    if events:
        await session.execute(update(OutboxEvent).where(OutboxEvent.id.in_([e.id for e in events]))
                              .values(claimed_until=now + lease, attempts=OutboxEvent.attempts + 1))
    return events


async def mark_processed(session: AsyncSession, event_ids: Sequence[int]) -> None:
    if event_ids:
        await session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(list(event_ids)))
                              .values(processed_at=utcnow(), claimed_until=None, last_error=None))


async def mark_failed(session: AsyncSession, event_id: int, error: str, *, retry_in: timedelta) -> None:
    await session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id)
                          .values(claimed_until=utcnow() + retry_in, last_error=error[:2000]))
