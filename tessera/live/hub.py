"""The live hub of one server process: publishes committed events, routes what the broker
delivers to this process's connections (checking tenancy and permissions on every message),
keeps presence and relays typing.

Publishing is fire-and-forget from the request's point of view: the unit of work's commit
listener only appends to a queue, and one task drains it, pipelining whatever accumulated into
one Redis round trip. A request therefore never waits for Redis, and events leave in commit
order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.live.access import NO_ACCESS, AccessCache
from tessera.live.broker import SUBSCRIBE_TIMEOUT, Broker, InProcessBroker, RedisBroker
from tessera.live.messages import (
    EVENT,
    EVERY_PROCESS,
    INVALIDATE,
    PRINCIPALS,
    TYPING,
    USER,
    committed_envelopes,
    control,
    event_envelope,
    presence_envelope,
    typing_envelope,
)
from tessera.live.presence import COALESCE, RENEW_EVERY, InProcessPresence, PresenceEntry, PresenceStore, RedisPresence
from tessera.live.registry import (
    CLOSE_FORBIDDEN,
    CLOSE_RESTART,
    CLOSE_UNAUTHENTICATED,
    Close,
    ConnectionRegistry,
    LiveConnection,
    Scope,
    Send,
)
from tessera.live.replay import latest_event_id, read_backlog
from tessera.tenancy.actor import Actor

log = logging.getLogger("tessera.live")
TYPING_INTERVAL = 1.0  # seconds between two typing notices relayed for one connection
CLOSE_GOING_AWAY = 1001


class LiveHub:
    def __init__(self, *, database: Database, broker: Broker, presence: PresenceStore, access: AccessCache) -> None:
        self.database = database
        self.broker = broker
        self.presence = presence
        self.access = access
        # Called with an organization's id when a committed change made its cached principals
        # (tenancy.auth.PrincipalCache) wrong, in whichever process committed it.
        self.principal_listeners: list[Callable[[int], None]] = []
        self.registry = ConnectionRegistry()
        self._outgoing: asyncio.Queue[list[dict]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._presence_due: dict[tuple[int, int], int] = {}  # (org, issue) -> project, awaiting a broadcast
        self._presence_tasks: set[asyncio.Task[None]] = set()
        self._running = False

    @classmethod
    def for_settings(cls, settings: Settings, database: Database) -> LiveHub:
        broker: Broker
        presence: PresenceStore
        if settings.redis_url:
            redis_broker = RedisBroker(settings.redis_url, settings.live_channel_prefix)
            broker, presence = redis_broker, RedisPresence(redis_broker.redis, settings.live_channel_prefix)
        else:
            broker, presence = InProcessBroker(), InProcessPresence()
        return cls(database=database, broker=broker, presence=presence,
                   access=AccessCache(database, ttl=settings.live_permission_ttl_seconds))

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.broker.start(self._on_envelope, self._on_reset)
        everywhere = asyncio.create_task(self._hear_every_process(), name="live-every-process")
        self._tasks = [asyncio.create_task(self._publish_loop(), name="live-publisher"),
                       asyncio.create_task(self._renew_loop(), name="live-presence"), everywhere]
        # Usually subscribed at once; an unreachable Redis must not stop the server starting.
        await asyncio.wait([everywhere], timeout=SUBSCRIBE_TIMEOUT)
        self._running = True

    async def stop(self) -> None:
        self._running = False
        for connection in self.registry.all():
            connection.request_close(CLOSE_GOING_AWAY, "The server is shutting down.")
        while not self._outgoing.empty():  # what committed before shutdown still goes out
            with suppress(Exception):
                await self.broker.publish(self._outgoing.get_nowait())
        for task in [*self._tasks, *self._presence_tasks]:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await self.broker.stop()

    async def _hear_every_process(self) -> None:
        """Subscribes to the channel every process hears (cached principals to drop), retrying
        while the broker cannot confirm it."""
        while True:
            try:
                await self.broker.subscribe(EVERY_PROCESS)
                return
            except Exception:  # noqa: BLE001 - Redis unreachable: try again
                log.warning("live: cannot subscribe to the channel of every process yet")
                await asyncio.sleep(SUBSCRIBE_TIMEOUT)

    # -- publishing --------------------------------------------------------------------------------

    def publish_committed(self, emitted: list) -> None:
        """The database's commit listener: called right after COMMIT, never after a rollback."""
        if not self._running:
            return
        envelopes = committed_envelopes(emitted)
        if envelopes:
            self._outgoing.put_nowait(envelopes)

    def _publish(self, envelope: dict) -> None:
        if self._running:
            self._outgoing.put_nowait([envelope])

    async def _publish_loop(self) -> None:
        while True:
            batch = await self._outgoing.get()
            while not self._outgoing.empty():
                batch.extend(self._outgoing.get_nowait())
            try:
                await self.broker.publish(batch)
            except Exception:  # noqa: BLE001 - keep publishing later events
                log.exception("live: publishing failed")

    # -- delivering --------------------------------------------------------------------------------

    async def _on_envelope(self, envelope: dict) -> None:
        kind, org = envelope["k"], envelope["org"]
        if kind == PRINCIPALS:
            for listener in self.principal_listeners:
                listener(envelope["of"])
            return
        if kind == INVALIDATE:
            self.access.invalidate(org, envelope.get("project_id"))
            if envelope.get("user_id") is not None:  # a deactivated user's own streams end now
                for connection in self.registry.for_user(org, envelope["user_id"]):
                    connection.request_close(CLOSE_UNAUTHENTICATED, "The user is deactivated.")
            return
        if kind == USER:  # counts and ids for the user themself: routed by (organization, user) only
            for connection in self.registry.for_user(org, envelope["user_id"]):
                connection.enqueue(envelope["text"], envelope.get("id"))
            return
        if kind == EVENT:
            targets = self.registry.for_event(org, envelope["project_id"], envelope["issue_id"])
        else:
            targets = self.registry.on_issue(org, envelope["issue_id"])
            if kind == TYPING:
                targets = [c for c in targets if c.user_id != envelope["user_id"]]
        if not targets:
            return
        grants = await self.access.grants(org, envelope["project_id"], {c.user_id for c in targets})
        readers = await self.access.issue_readers(org, envelope.get("issue_id"), {c.user_id for c in targets})
        for connection in targets:
            grant = grants.get(connection.user_id, NO_ACCESS)
            if not grant.active:
                connection.request_close(CLOSE_UNAUTHENTICATED, "The user is deactivated.")
            elif not grant.may_browse:
                connection.request_close(CLOSE_FORBIDDEN, "You may no longer browse this project.")
            elif connection.user_id not in readers:
                continue  # an issue at a security level the user is not a member of
            elif kind != EVENT or grant.sees(envelope.get("visibility")):
                connection.enqueue(envelope["text"], envelope.get("id"))

    async def _on_reset(self) -> None:
        """The broker lost messages: every client reconnects and replays from the outbox."""
        for connection in self.registry.all():
            connection.request_close(CLOSE_RESTART, "Live updates restarted: reconnect with last_event_id.")

    # -- connections -------------------------------------------------------------------------------

    async def open(self, *, actor: Actor, scope: Scope, send: Send, close: Close) -> LiveConnection:
        """Registers the connection and returns once the broker delivers its organization's
        events here, so a backlog read afterwards cannot miss one."""
        connection = LiveConnection(actor=actor, scope=scope, send=send, close=close)
        self.registry.add(connection)
        try:
            await self.broker.subscribe(scope.organization_id)
        except BaseException:
            self.registry.remove(connection)
            raise
        if scope.project_id is not None:
            self.access.prime(actor, scope.project_id)
        return connection

    async def close(self, connection: LiveConnection) -> None:
        self.registry.remove(connection)
        with suppress(Exception):
            await self.broker.unsubscribe(connection.organization_id)
        if connection.scope.kind == "issue":
            await self._change_presence(connection, join=False)

    async def cursor(self, organization_id: int) -> int:
        async with self.database.unit_of_work(write=False, organization_id=organization_id) as session:
            return await latest_event_id(session, organization_id)

    async def replay(self, connection: LiveConnection, last_event_id: int) -> int:
        """Sends the events the connection missed after `last_event_id`, or resync_required.
        The caller holds connection.send_lock, so live messages queue up meanwhile and the
        sender drops those the replay already sent. Returns how many were sent."""
        scope = connection.scope
        async with self.database.unit_of_work(write=False, organization_id=scope.organization_id) as session:
            backlog = await read_backlog(session, scope=scope, after_id=last_event_id)
        if backlog is None:
            await connection.send_now(control("resync_required", last_event_id=last_event_id))
            return 0
        if not backlog:
            return 0
        if scope.kind == "user":
            sent = 0
            for event in backlog:
                envelope = event_envelope(event)
                if envelope is not None and envelope["k"] == USER and envelope["user_id"] == connection.user_id:
                    await connection.send_now(envelope["text"], envelope["id"])
                    sent += 1
            return sent
        assert scope.project_id is not None
        grants = await self.access.grants(scope.organization_id, scope.project_id, [connection.user_id])
        grant = grants.get(connection.user_id, NO_ACCESS)
        sent = 0
        for event in backlog:
            envelope = event_envelope(event)
            if envelope is None or envelope["k"] != EVENT or not grant.may_browse:
                continue
            if connection.user_id not in await self.access.issue_readers(
                    scope.organization_id, envelope.get("issue_id"), [connection.user_id]):
                continue
            if grant.sees(envelope["visibility"]):
                await connection.send_now(envelope["text"], envelope["id"])
                sent += 1
        return sent

    # -- presence and typing -----------------------------------------------------------------------

    def _presence_entry(self, connection: LiveConnection) -> PresenceEntry:
        assert connection.scope.issue_id is not None
        return PresenceEntry(organization_id=connection.organization_id, issue_id=connection.scope.issue_id,
                             connection_id=connection.id, user_id=connection.user_id,
                             display_name=connection.actor.display_name)

    async def join_presence(self, connection: LiveConnection) -> None:
        await self._change_presence(connection, join=True)

    async def _change_presence(self, connection: LiveConnection, *, join: bool) -> None:
        entry = self._presence_entry(connection)
        try:
            await (self.presence.join(entry) if join else self.presence.leave(entry))
        except Exception:  # noqa: BLE001 - presence is best effort; updates must keep flowing
            log.exception("live: presence update failed")
            return
        key = (entry.organization_id, entry.issue_id)
        if key not in self._presence_due and self._running:
            # One broadcast per issue per COALESCE window: a crowd (re)connecting after a deploy
            # costs a message per viewer, not one per viewer per arrival.
            self._presence_due[key] = connection.scope.project_id
            task = asyncio.create_task(self._broadcast_presence(key))
            self._presence_tasks.add(task)
            task.add_done_callback(self._presence_tasks.discard)

    async def _broadcast_presence(self, key: tuple[int, int]) -> None:
        await asyncio.sleep(COALESCE)
        project_id = self._presence_due.pop(key)
        organization_id, issue_id = key
        try:
            viewers = await self.presence.viewers(organization_id, issue_id)
        except Exception:  # noqa: BLE001
            log.exception("live: reading presence failed")
            return
        self._publish(presence_envelope(organization_id=organization_id, project_id=project_id, issue_id=issue_id,
                                        viewers=viewers))

    async def relay_typing(self, connection: LiveConnection) -> bool:
        """At most one relayed notice per connection per TYPING_INTERVAL; False when dropped.
        The typist must still be allowed to browse the issue (a cached check)."""
        now = time.monotonic()
        if connection.scope.issue_id is None or now - connection.last_typing < TYPING_INTERVAL:
            return False
        connection.last_typing = now
        scope = connection.scope
        assert scope.project_id is not None  # an issue stream's
        grant = (await self.access.grants(scope.organization_id, scope.project_id, [connection.user_id])).get(
            connection.user_id, NO_ACCESS)
        if not grant.may_browse:
            connection.request_close(CLOSE_FORBIDDEN, "You may no longer browse this project.")
            return False
        self._publish(typing_envelope(organization_id=connection.organization_id,
                                      project_id=connection.scope.project_id, issue_id=connection.scope.issue_id,
                                      user_id=connection.user_id, display_name=connection.actor.display_name))
        return True

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            entries = [self._presence_entry(c) for c in self.registry.all() if c.scope.kind == "issue"]
            try:
                await self.presence.renew(entries)
            except Exception:  # noqa: BLE001
                log.exception("live: renewing presence failed")
