"""The delivery pipeline one worker process runs: outbox events are fanned out into deliveries
by their handlers, and due deliveries are sent by their channel's sender. Both loops run in the
same process, so one `tessera worker` (or the in-process worker of `tessera serve`) is enough."""

from __future__ import annotations

import asyncio
import logging

from tessera.db.engine import Database
from tessera.delivery.engine import DeliveryObserver, DeliveryRunner, RetryPolicy, SenderRegistry
from tessera.notifications.housekeeping import Housekeeping
from tessera.workers.runner import HandlerRegistry, run_once

log = logging.getLogger("tessera.worker")
# How many events of different aggregates one worker hands side by side to the handlers that take
# one event at a time. The pipeline's own handlers (webhooks, notifications, a project's Slack
# channel) take the whole claimed batch at once, which made them some 20 times cheaper per event
# than any concurrency did (tessera.workers.runner).
FAN_OUT_CONCURRENCY = 1


class Pipeline:
    def __init__(self, database: Database, handlers: HandlerRegistry, senders: SenderRegistry,
                 policy: RetryPolicy, *, observer: DeliveryObserver | None = None,
                 housekeeping: Housekeeping | None = None) -> None:
        self.database = database
        self.handlers = handlers
        self.senders = senders
        self.deliveries = DeliveryRunner(database, senders, policy, observer=observer)
        self.housekeeping = housekeeping

    async def run_once(self) -> int:
        """One batch of events, then one batch of due deliveries; how much was done."""
        return await run_once(self.database, self.handlers, concurrency=FAN_OUT_CONCURRENCY) + await self.deliveries.run_once()

    async def aclose(self) -> None:
        """Close what the senders hold open (HTTP connection pools, the SMTP session)."""
        for sender in self.senders.senders.values():
            close = getattr(sender, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:  # noqa: BLE001 - shutting down: close the others anyway
                    log.exception("closing a sender failed")

    async def drain(self) -> None:
        """Until nothing is due now (`tessera worker --once`, tests)."""
        while await self.run_once():
            pass

    async def run_forever(self, stop: asyncio.Event, *, poll_seconds: float = 0.05,
                          due_poll_seconds: float = 0.25) -> None:
        """Both loops side by side, so a slow receiver does not hold back the fan-out. The outbox
        is polled often (a new event waits `poll_seconds` at most); the delivery loop wakes as soon
        as the fan-out in this process added deliveries, and polls for retries and batches that
        come due (`due_poll_seconds`)."""
        fanned_out = asyncio.Event()

        async def fan_out() -> int:
            done = await run_once(self.database, self.handlers, concurrency=FAN_OUT_CONCURRENCY)
            if done:
                fanned_out.set()
            return done

        loops = [self._loop(stop, fan_out, poll_seconds, None),
                 self._loop(stop, self.deliveries.run_once, due_poll_seconds, fanned_out)]
        if self.housekeeping is not None:
            # Its own loop: a large purge must not hold up fanning out or sending.
            loops.append(self.housekeeping.run_forever(stop))
        await asyncio.gather(*loops)

    async def _loop(self, stop: asyncio.Event, step, idle_seconds: float,  # type: ignore[no-untyped-def]
                    wake: asyncio.Event | None) -> None:
        while not stop.is_set():
            if wake is not None:
                wake.clear()
            try:
                done = await step()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("worker step failed; retrying")
                done = 0
            if done == 0:
                waiters = [asyncio.ensure_future(stop.wait())]
                if wake is not None:
                    waiters.append(asyncio.ensure_future(wake.wait()))
                _, pending = await asyncio.wait(waiters, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED)
                for waiter in pending:
                    waiter.cancel()


class InProcessWorker:
    """The pipeline as a task of the server's event loop (`tessera serve` on SQLite)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._stop = asyncio.Event()
        self._pipeline = pipeline
        self._task = asyncio.create_task(pipeline.run_forever(self._stop), name="tessera-in-process-worker")

    async def stop(self) -> None:
        self._stop.set()
        await self._task
        await self._pipeline.aclose()
