"""Brokers carry envelopes (messages.py) from the process where a change committed to the hubs
of every server process.

Channels: one Redis channel per organization, `{prefix}:live:org:{organization_id}`, which a
process subscribes to while it holds at least one live connection of that organization. Chosen
for the target load (1,000 clients over 50 issues, on a few processes):

* The seed's per-node channels need a Redis registry of every connection (`connections:{issue}`
  hashes): a read of that hash on every broadcast (a round trip on the hot path, growing with
  the viewers), a write on every connect and disconnect, and stale entries when a node dies.
  With channels per organization Redis itself knows which processes care: nothing to look up.
* A channel per issue would mean a SUBSCRIBE per issue opened and 50 channels per process, for
  nothing: with viewers spread over the processes, each holds viewers of almost every issue.
* Per organization an event is one PUBLISH, delivered only to the processes holding viewers in
  that organization, each of which finds its local subscribers with a dictionary lookup. With
  2 processes that is 2 deliveries and ~10 local sends per event. The cost, a process receiving
  events of issues nobody on it watches, is a dictionary miss. Isolation between organizations
  is structural: a process routes an envelope only to connections registered under its
  organization, and never subscribes to an organization it has no connection of.

Redis pub/sub is at-most-once: when the subscriber connection drops, the broker reconnects and
tells the hub (`on_reset`), which closes its connections with 1012 so that clients reconnect
and replay what they missed from the outbox, the source of truth.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Protocol

log = logging.getLogger("tessera.live")
OnMessage = Callable[[dict], Awaitable[None]]
OnReset = Callable[[], Awaitable[None]]
SUBSCRIBE_TIMEOUT = 5.0


class Broker(Protocol):
    async def start(self, on_message: OnMessage, on_reset: OnReset) -> None: ...
    async def stop(self) -> None: ...
    async def subscribe(self, organization_id: int) -> None:
        """Returns once envelopes of the organization published from now on will arrive."""
    async def unsubscribe(self, organization_id: int) -> None: ...
    async def publish(self, envelopes: list[dict]) -> None: ...


class InProcessBroker:
    """One server process (TESSERA_REDIS_URL unset): publishing is delivering."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self._on_message: OnMessage | None = None

    async def start(self, on_message: OnMessage, on_reset: OnReset) -> None:
        self._on_message = on_message

    async def stop(self) -> None:
        self._on_message = None

    async def subscribe(self, organization_id: int) -> None:
        self._counts[organization_id] = self._counts.get(organization_id, 0) + 1

    async def unsubscribe(self, organization_id: int) -> None:
        count = self._counts.get(organization_id, 0) - 1
        if count > 0:
            self._counts[organization_id] = count
        else:
            self._counts.pop(organization_id, None)

    async def publish(self, envelopes: list[dict]) -> None:
        for envelope in envelopes:
            if self._on_message is not None and self._counts.get(envelope["org"]):
                await self._on_message(envelope)


class RedisBroker:
    """Several server processes: one subscriber connection per process, publishes pipelined."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._prefix = prefix
        self.subscriber_name = f"{prefix}:live-subscriber"  # how the connection shows in CLIENT LIST
        # Publishes, presence and renewals share a bounded pool that waits for a free connection
        # rather than failing when a crowd connects at once.
        self._publisher: Any = redis.Redis.from_pool(redis.BlockingConnectionPool.from_url(
            url, max_connections=32, timeout=10))
        # No silent retries on the subscriber: a dropped connection must surface as an error here,
        # because the messages published meanwhile are gone and the hub has to say so.
        self._subscriber: Any = redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_timeout=None,
                                               socket_keepalive=True, client_name=self.subscriber_name)
        self._control = f"{prefix}:live:control"
        self._counts: dict[int, int] = {}
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        self._outstanding: dict[str, int] = {}
        self._pubsub: Any = None
        self._send_lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._on_message: OnMessage | None = None
        self._on_reset: OnReset | None = None

    @property
    def redis(self) -> Any:
        return self._publisher

    def channel(self, organization_id: int) -> str:
        return f"{self._prefix}:live:org:{organization_id}"

    async def start(self, on_message: OnMessage, on_reset: OnReset) -> None:
        self._on_message, self._on_reset = on_message, on_reset
        self._task = asyncio.create_task(self._run(), name="live-redis-subscriber")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=SUBSCRIBE_TIMEOUT)
        except TimeoutError:
            log.warning("live: Redis is not reachable yet; live connections wait for it")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        await self._subscriber.aclose()
        await self._publisher.aclose()

    async def subscribe(self, organization_id: int) -> None:
        channel = self.channel(organization_id)
        self._counts[organization_id] = self._counts.get(organization_id, 0) + 1
        future = self._confirmed.get(channel)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._confirmed[channel] = future
            with suppress(Exception):  # a connection lost meanwhile: the reconnect subscribes it
                await self._send("subscribe", channel)
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout=SUBSCRIBE_TIMEOUT)
        except BaseException:
            await self.unsubscribe(organization_id)
            raise

    async def unsubscribe(self, organization_id: int) -> None:
        count = self._counts.get(organization_id, 0) - 1
        if count > 0:
            self._counts[organization_id] = count
            return
        self._counts.pop(organization_id, None)
        channel = self.channel(organization_id)
        self._confirmed.pop(channel, None)
        with suppress(Exception):
            await self._send("unsubscribe", channel)

    async def publish(self, envelopes: list[dict]) -> None:
        pipe = self._publisher.pipeline(transaction=False)
        for envelope in envelopes:
            pipe.publish(self.channel(envelope["org"]), json.dumps(envelope, separators=(",", ":")))
        try:
            await pipe.execute()
        except Exception:  # noqa: BLE001 - the events are committed; subscribers can replay them
            log.exception("live: publishing %d envelope(s) to Redis failed", len(envelopes))

    async def _send(self, command: str, channel: str) -> None:
        """Commands go out one at a time, so a SUBSCRIBE never overtakes an earlier UNSUBSCRIBE.
        While disconnected this does nothing: on connecting, the subscriber task subscribes every
        channel wanted then (under the same lock, so none falls between the two)."""
        async with self._send_lock:
            if self._pubsub is None:
                return
            if command == "subscribe":
                self._outstanding[channel] = self._outstanding.get(channel, 0) + 1
                await self._pubsub.subscribe(channel)
            else:
                await self._pubsub.unsubscribe(channel)

    async def _run(self) -> None:
        delay, connected_before = 0.1, False
        while True:
            pubsub = self._subscriber.pubsub()
            try:
                async with self._send_lock:
                    await pubsub.subscribe(self._control)
                    self._outstanding = {}
                    for channel in list(self._confirmed):
                        self._outstanding[channel] = self._outstanding.get(channel, 0) + 1
                        await pubsub.subscribe(channel)
                    self._pubsub = pubsub
                if connected_before and self._on_reset is not None:
                    await self._on_reset()
                connected_before, delay = True, 0.1
                self._ready.set()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        await self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - reconnect whatever went wrong
                log.warning("live: Redis subscriber connection lost (%s); reconnecting", error)
            finally:
                self._pubsub = None
                self._ready.clear()
                with suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
        if kind == "message" and self._on_message is not None:
            try:
                envelope = json.loads(message["data"])
            except ValueError:
                log.warning("live: ignoring a malformed envelope on %s", channel)
                return
            try:
                await self._on_message(envelope)
            except Exception:  # noqa: BLE001 - one bad delivery must not drop the subscription
                log.exception("live: delivering an envelope failed")
        elif kind == "subscribe":
            left = self._outstanding.get(channel, 0) - 1
            self._outstanding[channel] = max(left, 0)
            future = self._confirmed.get(channel)
            if left <= 0 and future is not None and not future.done():
                future.set_result(None)
