"""The delivery pipeline one worker process runs: outbox events are fanned out into deliveries
by their handlers, and due deliveries are sent by their channel's sender. Both loops run in the
same process, so one `tessera worker` (or the in-process worker of `tessera serve`) is enough."""

from __future__ import annotations

import asyncio
import logging

from tessera.db.engine import Database
from tessera.delivery.engine import DeliveryObserver, DeliveryRunner, RetryPolicy, SenderRegistry
from tessera.workers.runner import HandlerRegistry, run_once

log = logging.getLogger("tessera.worker")


class Pipeline:
    def __init__(self, database: Database, handlers: HandlerRegistry, senders: SenderRegistry,
                 policy: RetryPolicy, *, observer: DeliveryObserver | None = None) -> None:
        self.database = database
        self.handlers = handlers
        self.senders = senders
        self.deliveries = DeliveryRunner(database, senders, policy, observer=observer)

    async def run_once(self) -> int:
        """One batch of events, then one batch of due deliveries; how much was done."""
        return await run_once(self.database, self.handlers) + await self.deliveries.run_once()

    async def drain(self) -> None:
        """Until nothing is due now (`tessera worker --once`, tests)."""
        while await self.run_once():
            pass

    async def run_forever(self, stop: asyncio.Event, *, idle_seconds: float = 0.25) -> None:
        """Both loops side by side, so a slow receiver does not hold back the fan-out."""
        await asyncio.gather(self._loop(stop, lambda: run_once(self.database, self.handlers), idle_seconds),
                             self._loop(stop, self.deliveries.run_once, idle_seconds))

    async def _loop(self, stop: asyncio.Event, step, idle_seconds: float) -> None:  # type: ignore[no-untyped-def]
        while not stop.is_set():
            try:
                done = await step()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("worker step failed; retrying")
                done = 0
            if done == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
                except TimeoutError:
                    pass


class InProcessWorker:
    """The pipeline as a task of the server's event loop (`tessera serve` on SQLite)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(pipeline.run_forever(self._stop), name="tessera-in-process-worker")

    async def stop(self) -> None:
        self._stop.set()
        await self._task
