"""The outbox runner: claims events in batches and hands them to the handlers registered for
their class. Handlers (webhooks, notifications, indexing, live fan-out) register themselves here,
by event class (tessera.events.types), never by the outbox name's text.

A handler is a coroutine function of one event, or a `BatchHandler`: an object that also takes
a whole claimed batch at once (`handle_batch`), so its fan-out reads what the batch's events
share (the organization's webhooks, the issues, their watchers) once, and writes in one
transaction. When a batch fails, its events are handled one by one, so one bad event is
retried alone and the others are settled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Protocol, runtime_checkable

from tessera.db.engine import Database
from tessera.events.models import OutboxEvent
from tessera.events.outbox import claim_batch, mark_failed, mark_processed
from tessera.events.types import DomainEvent

log = logging.getLogger("tessera.worker")
Handler = Callable[[OutboxEvent], Awaitable[None]]


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that can take a batch; `__call__` with one event must do the same as a batch of one."""

    async def __call__(self, event: OutboxEvent) -> None: ...

    async def handle_batch(self, events: Sequence[OutboxEvent]) -> None:
        """The events in the order they were written; all or nothing (one transaction)."""


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
    """Claim and process one batch; returns how many events were settled. Batch handlers get
    their share of the batch at once; then the per-event handlers run, and with `concurrency` > 1
    events about different aggregates are handled side by side (a fan-out spends most of its
    time waiting on the database); one aggregate's events are always handled in order."""
    async with database.unit_of_work() as session:
        events = list(await claim_batch(session, limit=batch_size))
    if not events:
        return 0
    failed: set[int] = set()
    batched: dict[int, tuple[BatchHandler, list[OutboxEvent]]] = {}
    singles: dict[int, list[Handler]] = {}
    for event in events:
        for handler in registry.for_class(event.event_class):
            if isinstance(handler, BatchHandler):
                batched.setdefault(id(handler), (handler, []))[1].append(event)
            else:
                singles.setdefault(event.id, []).append(handler)
    for handler, share in batched.values():
        failed |= await _handle_batch(database, handler, share)
    by_aggregate: dict[tuple[str, int], list[OutboxEvent]] = {}
    for event in events:
        if event.id in singles and event.id not in failed:
            by_aggregate.setdefault((event.aggregate_type, event.aggregate_id), []).append(event)
    limit = asyncio.Semaphore(max(1, concurrency))

    async def handle_in_order(group: list[OutboxEvent]) -> None:
        async with limit:
            for event in group:
                if not await _handle(database, singles[event.id], event):
                    failed.add(event.id)

    await asyncio.gather(*(handle_in_order(group) for group in by_aggregate.values()))
    done = [event.id for event in events if event.id not in failed]
    if done:
        async with database.unit_of_work() as session:
            await mark_processed(session, done)
    return len(done)


async def _handle_batch(database: Database, handler: BatchHandler, events: list[OutboxEvent]) -> set[int]:
    """The ids of the events that failed. A failed batch is handled again one event at a time."""
    try:
        await handler.handle_batch(events)
        return set()
    except Exception as error:  # noqa: BLE001 - find the bad event by handling them one by one
        if len(events) == 1:
            await _failed(database, events[0], error)
            return {events[0].id}
        log.warning("a batch of %d events failed in %r; handling them one by one", len(events), handler,
                    exc_info=True)
    return {event.id for event in events if not await _handle(database, [handler], event)}


async def _handle(database: Database, handlers: Sequence[Handler], event: OutboxEvent) -> bool:
    try:
        for handler in handlers:
            await handler(event)
        return True
    except Exception as error:  # noqa: BLE001 - one bad event must not stop the queue
        await _failed(database, event, error)
        return False


async def _failed(database: Database, event: OutboxEvent, error: Exception) -> None:
    log.error("event %s (%s) failed", event.id, event.event_type, exc_info=error)
    backoff = timedelta(seconds=min(3600, 2 ** min(event.attempts, 12)))
    async with database.unit_of_work() as session:
        await mark_failed(session, event.id, repr(error), retry_in=backoff)


async def run_forever(database: Database, registry: HandlerRegistry, stop: asyncio.Event, *,
                      idle_seconds: float = 0.5) -> None:
    while not stop.is_set():
        settled = await run_once(database, registry)
        if settled == 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
            except TimeoutError:
                pass
