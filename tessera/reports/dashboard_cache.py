"""Cached gadget data, invalidated by the organization's committed events.

Every committed outbox event (an issue created, changed, commented, a sprint started...) bumps
its organization's data version; cached gadget data is keyed by that version, so the next read
after any change recomputes, with no waiting for a timer. The version is bumped by the
database's commit listener in this process at once, and, when Redis is configured, also in a
Redis counter (INCR, sent by a background task right after the commit) that every server
process reads, so a change committed by another process invalidates here too (within the few
milliseconds the INCR takes). A time-to-live is only a safety net, for changes that write no
event (bulk loads, direct SQL), for changes committed by processes that serve no dashboards
(`tessera worker`, the CLI: they have no commit listener bumping the Redis counter), and for
reports relative to now (the last 30 days).

Entries are per (database, organization, dashboard, gadget configuration with what it resolved
to, the viewer's scope, catalog version, data version). The viewer's scope is the set of
projects they may browse, so viewers with the same access share entries; gadgets whose data
depends on the person (assigned to me, activity, currentUser(), saved filters, comment text)
are cached per user."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from contextlib import suppress
from typing import Any

log = logging.getLogger("tessera.reports")
DEFAULT_TTL = 300.0
DEFAULT_ENTRIES = 5_000
REDIS_TIMEOUT = 0.5


class GadgetCache:
    def __init__(self, *, redis: Any = None, prefix: str = "tessera", ttl: float = DEFAULT_TTL,
                 max_entries: int = DEFAULT_ENTRIES) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._redis, self._prefix = redis, prefix
        self._local: dict[int, int] = {}
        self._entries: OrderedDict[str, tuple[float, dict]] = OrderedDict()
        self._pending: set[int] = set()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _redis_key(self, organization_id: int) -> str:
        return f"{self._prefix}:reports:version:{organization_id}"

    # -- invalidation ------------------------------------------------------------------------

    def on_commit(self, emitted: list) -> None:
        """The database's commit listener: never blocks, never fails the request."""
        organizations = {event.organization_id for event in emitted}
        for organization_id in organizations:
            self._local[organization_id] = self._local.get(organization_id, 0) + 1
        if self._redis is not None and organizations:
            self._pending |= organizations
            self._wakeup.set()

    async def start(self) -> None:
        if self._redis is not None and self._task is None:
            self._task = asyncio.create_task(self._publish_loop(), name="report-cache-versions")

    async def stop(self) -> None:
        if self._task is not None:
            await self._flush()
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _publish_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self._flush()

    async def _flush(self) -> None:
        organizations, self._pending = self._pending, set()
        if not organizations:
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            for organization_id in sorted(organizations):
                pipe.incr(self._redis_key(organization_id))
            await pipe.execute()
        except Exception:  # noqa: BLE001 - the data is committed; the local version and the TTL still hold
            log.exception("reports: bumping data versions in Redis failed")

    async def version(self, organization_id: int) -> str | None:
        """The organization's data version, or None when it cannot be known (Redis down): then
        nothing is read from or written to the cache."""
        local = self._local.get(organization_id, 0)
        if self._redis is None:
            return f"{local}"
        try:
            shared = await asyncio.wait_for(self._redis.get(self._redis_key(organization_id)), REDIS_TIMEOUT)
        except Exception:  # noqa: BLE001
            log.warning("reports: reading the data version from Redis failed; computing without the cache")
            return None
        return f"{local}.{int(shared or 0)}"

    # -- entries -------------------------------------------------------------------------------

    def get(self, key: str) -> dict | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: str, value: dict) -> None:
        self._entries[key] = (time.monotonic() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
