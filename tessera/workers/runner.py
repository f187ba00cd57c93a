"""The outbox runner: claims events in batches and hands each to the handlers registered for
its class. Handlers (webhooks, notifications, indexing, live fan-out) register themselves here,
by event class (tessera.events.types), never by the outbox name's text."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tessera.db.engine import Database
from tessera.events.models import OutboxEvent
from tessera.events.outbox import claim_batch, mark_failed, mark_processed
from tessera.events.types import DomainEvent

log = logging.getLogger("tessera.worker")
Handler = Callable[[OutboxEvent], Awaitable[None]]


class HandlerRegistry:
    """Closed once the worker starts; an event with no handler is simply settled.

    A handler registered for a class gets its subclasses' events too: for IssueEvent, every
    event about an issue; for DomainEvent, every event (workflow-fired ones included)."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = {}

    def register(self, handler: Handler, *event_classes: type[DomainEvent]) -> None:
        if not event_classes:
            raise ValueError("a handler subscribes to at least one event class")
        for event_class in event_classes:
            if not (isinstance(event_class, type) and issubclass(event_class, DomainEvent)):
                raise TypeError(f"{event_class!r} is not an event class (tessera.events.types)")
            handlers = self._handlers.setdefault(event_class, [])
            if handler in handlers:
                raise ValueError(f"handler already registered for {event_class.__name__}")
            handlers.append(handler)

    def for_class(self, event_class: type[DomainEvent]) -> list[Handler]:
        """Handlers of the class and of its bases, the most specific first, each once."""
        found: list[Handler] = []
        for base in event_class.__mro__:
            for handler in self._handlers.get(base, ()):
                if handler not in found:
                    found.append(handler)
        return found


async def run_once(database: Database, registry: HandlerRegistry, *, batch_size: int = 100,
                   concurrency: int = 1) -> int:
    """Claim and process one batch; returns how many events were settled. With `concurrency` > 1,
    events about different aggregates are handled side by side (a fan-out spends most of its time
    waiting on the database); one aggregate's events are always handled in order."""
    async with database.unit_of_work() as session:
        events = list(await claim_batch(session, limit=batch_size))
    done: list[int] = []
    by_aggregate: dict[tuple[str, int], list[OutboxEvent]] = {}
    for event in events:
        by_aggregate.setdefault((event.aggregate_type, event.aggregate_id), []).append(event)
    limit = asyncio.Semaphore(max(1, concurrency))

    async def handle_in_order(group: list[OutboxEvent]) -> None:
        async with limit:
            for event in group:
                if await _handle(database, registry, event):
                    done.append(event.id)

    await asyncio.gather(*(handle_in_order(group) for group in by_aggregate.values()))
    if done:
        async with database.unit_of_work() as session:
            await mark_processed(session, done)
    return len(done)


async def _handle(database: Database, registry: HandlerRegistry, event: OutboxEvent) -> bool:
    try:
        for handler in registry.for_class(event.event_class):
            await handler(event)
        return True
    except Exception as error:  # noqa: BLE001 - one bad event must not stop the queue
        log.exception("event %s (%s) failed", event.id, event.event_type)
        backoff = timedelta(seconds=min(3600, 2 ** min(event.attempts, 12)))
        async with database.unit_of_work() as session:
            await mark_failed(session, event.id, repr(error), retry_in=backoff)
        return False


async def run_forever(database: Database, registry: HandlerRegistry, stop: asyncio.Event, *,
                      idle_seconds: float = 0.5) -> None:
    while not stop.is_set():
        settled = await run_once(database, registry)
        if settled == 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
            except TimeoutError:
                pass
