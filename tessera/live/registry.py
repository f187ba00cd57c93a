"""The live connections of this process, and the routes from (organization, issue),
(organization, project) and (organization, user) to them.

Each connection sends from its own queue in its own task, so one slow client never holds up the
delivery to others; a client that falls too far behind is closed (1013) and resumes with
`last_event_id`, which replays from the outbox what it missed."""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tessera.tenancy.actor import Actor

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]
QUEUE_LIMIT = 1000  # messages waiting for one client before it is told to reconnect
RECENT_IDS = 2048  # event ids remembered per connection to drop duplicates (replay overlaps live)

# Close codes (4xxx mirror HTTP statuses; 1012/1013 tell the client to reconnect and resume).
CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND = 4401, 4403, 4404
CLOSE_BAD_REQUEST, CLOSE_RATE_LIMITED = 4400, 4429
CLOSE_RESTART, CLOSE_TRY_AGAIN, CLOSE_TOO_BIG = 1012, 1013, 1009


@dataclass(frozen=True)
class Scope:
    """What a connection follows: one issue, every issue of one project, or one user's own
    notifications (kind "user": no project, `user_id` the connected user)."""

    kind: str  # "issue" | "project" | "user"
    organization_id: int
    project_id: int | None
    issue_id: int | None = None
    user_id: int | None = None


class LiveConnection:
    def __init__(self, *, actor: Actor, scope: Scope, send: Send, close: Close) -> None:
        self.id = secrets.token_hex(8)
        self.actor = actor
        self.scope = scope
        self._send = send
        self._close = close
        self._queue: asyncio.Queue[tuple[int | None, str] | None] = asyncio.Queue()
        self._recent: OrderedDict[int, None] = OrderedDict()
        self.send_lock = asyncio.Lock()  # held by the sender per message, and by a replay throughout
        self.closing: tuple[int, str] | None = None
        self.last_typing = 0.0

    @property
    def organization_id(self) -> int:
        return self.actor.organization_id

    @property
    def user_id(self) -> int:
        return self.actor.user_id

    def enqueue(self, text: str, event_id: int | None = None) -> None:
        if self.closing is not None:
            return
        if self._queue.qsize() >= QUEUE_LIMIT:
            self.request_close(CLOSE_TRY_AGAIN, "Too far behind: reconnect with last_event_id to catch up.")
            return
        self._queue.put_nowait((event_id, text))

    def request_close(self, code: int, reason: str) -> None:
        """Queued messages are dropped: the close must not wait behind them."""
        if self.closing is not None:
            return
        self.closing = (code, reason)
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def send_now(self, text: str, event_id: int | None = None) -> None:
        """The caller holds send_lock. An event already sent on this connection is skipped."""
        if event_id is not None:
            if event_id in self._recent:
                return
            self._recent[event_id] = None
            if len(self._recent) > RECENT_IDS:
                self._recent.popitem(last=False)
        await self._send(text)

    async def run_sender(self) -> None:
        """Sends queued messages in order until a close is requested, then closes the socket."""
        while True:
            item = await self._queue.get()
            if item is None:
                assert self.closing is not None
                await self._close(*self.closing)
                return
            async with self.send_lock:
                await self.send_now(item[1], item[0])


class ConnectionRegistry:
    def __init__(self) -> None:
        self._by_issue: dict[tuple[int, int], set[LiveConnection]] = {}
        self._by_project: dict[tuple[int, int], set[LiveConnection]] = {}
        self._by_user: dict[tuple[int, int], set[LiveConnection]] = {}
        self._all: set[LiveConnection] = set()

    def _index(self, connection: LiveConnection) -> tuple[dict, tuple[int, int]]:
        scope = connection.scope
        if scope.kind == "issue":
            assert scope.issue_id is not None
            return self._by_issue, (scope.organization_id, scope.issue_id)
        if scope.kind == "user":
            assert scope.user_id is not None
            return self._by_user, (scope.organization_id, scope.user_id)
        assert scope.project_id is not None
        return self._by_project, (scope.organization_id, scope.project_id)

    def add(self, connection: LiveConnection) -> None:
        index, key = self._index(connection)
        index.setdefault(key, set()).add(connection)
        self._all.add(connection)

    def remove(self, connection: LiveConnection) -> None:
        index, key = self._index(connection)
        members = index.get(key)
        if members is not None:
            members.discard(connection)
            if not members:
                del index[key]
        self._all.discard(connection)

    def on_issue(self, organization_id: int, issue_id: int) -> list[LiveConnection]:
        return list(self._by_issue.get((organization_id, issue_id), ()))

    def for_event(self, organization_id: int, project_id: int, issue_id: int) -> list[LiveConnection]:
        return [*self._by_issue.get((organization_id, issue_id), ()),
                *self._by_project.get((organization_id, project_id), ())]

    def for_user(self, organization_id: int, user_id: int) -> list[LiveConnection]:
        """The user's own notification streams (never another user's: the key is the user)."""
        return list(self._by_user.get((organization_id, user_id), ()))

    def all(self) -> list[LiveConnection]:
        return list(self._all)

    def __len__(self) -> int:
        return len(self._all)
