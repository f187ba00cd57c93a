"""Publishing without serving: a process that holds no live connections (`tessera worker`) but
commits events that live subscribers wait for (a NotificationAdded from the notification
fan-out) hands them to the broker the way a server's hub does, so the server processes deliver
them to their sockets.

Only with Redis: without it there is one server process and its worker runs inside it
(`tessera serve` on SQLite), where the hub's own commit listener already publishes, so a second
publisher there would send everything twice."""

from __future__ import annotations

import asyncio
import logging

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.live.broker import RedisBroker
from tessera.live.messages import committed_envelopes

log = logging.getLogger("tessera.live")


class LivePublisher:
    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker
        self._outgoing: asyncio.Queue[list[dict] | None] = asyncio.Queue()  # None: stop
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def attach(cls, settings: Settings, database: Database) -> LivePublisher | None:
        """A publisher listening to the database's commits, or None when there is no Redis."""
        if not settings.redis_url:
            return None
        publisher = cls(RedisBroker(settings.redis_url, settings.live_channel_prefix))
        database.on_commit(publisher.publish_committed)
        return publisher

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-publisher")

    async def stop(self, *, timeout: float = 5.0) -> None:
        """Publishes what committed before stopping (waiting up to `timeout` seconds for Redis),
        then closes the Redis connections."""
        task, self._task = self._task, None
        if task is not None:
            self._outgoing.put_nowait(None)
            try:
                await asyncio.wait_for(task, timeout)
            except TimeoutError:
                log.warning("live: events committed by this worker were not all published")
            except asyncio.CancelledError:
                pass
        await self.broker.stop()

    def publish_committed(self, emitted: list) -> None:
        """The commit listener: queues, never blocks the committing task."""
        envelopes = committed_envelopes(emitted)
        if envelopes and self._task is not None:
            self._outgoing.put_nowait(envelopes)

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[dict] = []
            item = await self._outgoing.get()
            while True:
                if item is None:
                    stopping = True
                else:
                    batch.extend(item)
                if self._outgoing.empty():
                    break
                item = self._outgoing.get_nowait()
            if not batch:
                continue
            try:
                await self.broker.publish(batch)
            except Exception:  # noqa: BLE001 - keep publishing later events
                log.exception("live: publishing from the worker failed")
