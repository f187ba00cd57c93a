"""Retention: what the delivery pipeline writes for every event and every message would otherwise
grow forever. Every `every` (10 minutes) a worker deletes, older than
TESSERA_DELIVERY_RETENTION_DAYS (30):

- delivered and dead deliveries, their attempts with them (tessera.delivery.retention), of every
  channel (webhooks too: this is the one layer that sees both the deliveries and the fan-out);
- the fan-out's NotifiedEvent rows. A row only has to outlive the outbox's retries of its event
  (it stops a re-run from fanning out twice), so one whose outbox event is still unprocessed is
  kept whatever its age.

It also purges each organization's audit records older than that organization's own retention
policy (`tessera audit retention`, PUT /v2/audit/retention; tessera.audit.retention), whatever
TESSERA_DELIVERY_RETENTION_DAYS says.

Pending, sending and failed deliveries are never touched: those are messages on their way.
Each purge runs in chunks of PURGE_CHUNK rows, a transaction each. Several workers may run it at
once: the second to reach a chunk finds its rows gone and deletes nothing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.retention import purge_all_expired
from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.operations import PURGE_CHUNK, SETTLED
from tessera.delivery.retention import purge_deliveries
from tessera.events.models import OutboxEvent
from tessera.notifications.models import NotifiedEvent

log = logging.getLogger("tessera.housekeeping")
EVERY = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class HousekeepingReport:
    deliveries: int
    notified_events: int
    audit_records: int = 0


async def do_purge_notified_events(session: AsyncSession, *, organization_id: int | None,
                                   older_than_days: float, limit: int = PURGE_CHUNK) -> int:
    """Delete at most `limit` NotifiedEvent rows created more than `older_than_days` ago whose
    outbox event is processed (or purged), of one organization or (None) of all; returns how many.
    Lowest event ids first: ids grow with time, so the old rows are found at the index's start."""
    unprocessed = exists().where(OutboxEvent.id == NotifiedEvent.event_id, OutboxEvent.processed_at.is_(None))
    conditions = [NotifiedEvent.created_at < utcnow() - timedelta(days=older_than_days), ~unprocessed]
    if organization_id is not None:
        conditions.append(NotifiedEvent.organization_id == organization_id)
    chunk = select(NotifiedEvent.event_id).where(*conditions).order_by(NotifiedEvent.event_id).limit(limit)
    result = await session.execute(delete(NotifiedEvent).where(NotifiedEvent.event_id.in_(chunk))
                                   .execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)


async def purge_notified_events(database: Database, *, organization_id: int | None, older_than_days: float,
                                chunk: int = PURGE_CHUNK) -> int:
    """do_purge_notified_events until a chunk comes back short, a transaction per chunk."""
    total = 0
    while True:
        async with database.unit_of_work() as session:
            done = await do_purge_notified_events(session, organization_id=organization_id,
                                                  older_than_days=older_than_days, limit=chunk)
        total += done
        if done < chunk:
            return total


async def keep_house(database: Database, *, retention_days: float, organization_id: int | None = None,
                     chunk: int = PURGE_CHUNK) -> HousekeepingReport:
    """One pass of the retention (see the module's docstring); no delivery is purged when
    `retention_days` is 0 (audit records follow their organization's policy either way)."""
    audit = await purge_all_expired(database, organization_id=organization_id)
    if retention_days <= 0:
        return HousekeepingReport(0, 0, audit)
    deliveries = await purge_deliveries(database, organization_id=organization_id, states=SETTLED,
                                        older_than_days=retention_days, chunk=chunk)
    events = await purge_notified_events(database, organization_id=organization_id,
                                         older_than_days=retention_days, chunk=chunk)
    return HousekeepingReport(deliveries, events, audit)


class Housekeeping:
    """keep_house on a schedule, for a worker: `run_if_due()` from a loop it already has, or
    `run_forever(stop)` beside its other loops. The first pass runs at once (a worker started
    after a long pause catches up); a failed pass is logged and tried again next time."""

    def __init__(self, database: Database, settings: Settings, *, every: timedelta = EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.database = database
        self.retention_days = settings.delivery_retention_days
        self.every = every.total_seconds()
        self.clock = clock
        self._next: float | None = None

    async def run_if_due(self) -> HousekeepingReport | None:
        now = self.clock()
        if self._next is not None and now < self._next:
            return None
        self._next = now + self.every
        try:
            report = await keep_house(self.database, retention_days=self.retention_days)
        except Exception:  # noqa: BLE001 - a database hiccup must not end the worker; next time
            log.exception("housekeeping failed; trying again in %s s", self.every)
            return None
        if report.deliveries or report.notified_events:
            log.info("housekeeping purged %d deliveries and %d notified events older than %g days",
                     report.deliveries, report.notified_events, self.retention_days)
        if report.audit_records:
            log.info("housekeeping purged %d audit records past their organizations' retention",
                     report.audit_records)
        return report

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_if_due()
            wait = max((self._next or 0.0) - self.clock(), 0.0)
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
            except TimeoutError:
                pass
