"""The outbox runner: claims events in batches and hands each to the handlers registered for
its type. Handlers (webhooks, notifications, indexing, live fan-out) register themselves here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tessera.db.engine import Database
from tessera.events.models import OutboxEvent
from tessera.events.outbox import claim_batch, mark_failed, mark_processed

log = logging.getLogger("tessera.worker")
Handler = Callable[[OutboxEvent], Awaitable[None]]


class HandlerRegistry:
    """Closed once the worker starts; a type with no handler is simply settled."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def register(self, event_type: str, handler: Handler) -> None:
        handlers = self._handlers.setdefault(event_type, [])
        if handler in handlers:
            raise ValueError(f"handler already registered for {event_type}")
        handlers.append(handler)

    def for_type(self, event_type: str) -> list[Handler]:
        return [*self._handlers.get(event_type, []), *self._handlers.get("*", [])]


async def run_once(database: Database, registry: HandlerRegistry, *, batch_size: int = 100) -> int:
    """Claim and process one batch; returns how many events were settled."""
    async with database.unit_of_work() as session:
        events = list(await claim_batch(session, limit=batch_size))
    done: list[int] = []
    for event in events:
        try:
            for handler in registry.for_type(event.event_type):
                await handler(event)
            done.append(event.id)
        except Exception as error:  # noqa: BLE001 - one bad event must not stop the queue
            log.exception("event %s (%s) failed", event.id, event.event_type)
            backoff = timedelta(seconds=min(3600, 2 ** min(event.attempts, 12)))
            async with database.unit_of_work() as session:
                await mark_failed(session, event.id, repr(error), retry_in=backoff)
    if done:
        async with database.unit_of_work() as session:
            await mark_processed(session, done)
    return len(done)


async def run_forever(database: Database, registry: HandlerRegistry, stop: asyncio.Event, *,
                      idle_seconds: float = 0.5) -> None:
    while not stop.is_set():
        settled = await run_once(database, registry)
        if settled == 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
            except TimeoutError:
                pass
