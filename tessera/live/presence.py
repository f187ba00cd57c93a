"""Who is viewing an issue: one entry per open issue connection, with an expiry.

With Redis the entries are members of a sorted set per (organization, issue) scored by their
expiry, so every server process sees the viewers connected to any other; each process renews
its own connections' entries periodically, and the entries of a process that died simply expire.
Without Redis a dictionary in the process holds them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

PRESENCE_TTL = 45.0  # seconds an entry lives without renewal
RENEW_EVERY = 15.0
COALESCE = 0.1  # seconds: joins and leaves of one issue within this window make one presence message


@dataclass(frozen=True)
class PresenceEntry:
    organization_id: int
    issue_id: int
    connection_id: str
    user_id: int
    display_name: str

    def member(self) -> str:
        return json.dumps([self.connection_id, self.user_id, self.display_name], separators=(",", ":"))


def viewers_of(members: Iterable[tuple[int, str]]) -> list[dict]:
    """One viewer per user (a user may have several tabs open), ordered by name."""
    unique = {user_id: name for user_id, name in members}
    return [{"user_id": user_id, "display_name": name}
            for user_id, name in sorted(unique.items(), key=lambda item: (item[1].lower(), item[0]))]


class PresenceStore(Protocol):
    async def join(self, entry: PresenceEntry) -> None: ...
    async def leave(self, entry: PresenceEntry) -> None: ...
    async def viewers(self, organization_id: int, issue_id: int) -> list[dict]: ...
    async def renew(self, entries: list[PresenceEntry]) -> None: ...


class InProcessPresence:
    def __init__(self) -> None:
        self._issues: dict[tuple[int, int], dict[str, tuple[int, str]]] = {}

    async def join(self, entry: PresenceEntry) -> None:
        viewers = self._issues.setdefault((entry.organization_id, entry.issue_id), {})
        viewers[entry.connection_id] = (entry.user_id, entry.display_name)

    async def leave(self, entry: PresenceEntry) -> None:
        key = (entry.organization_id, entry.issue_id)
        viewers = self._issues.get(key, {})
        viewers.pop(entry.connection_id, None)
        if not viewers:
            self._issues.pop(key, None)

    async def viewers(self, organization_id: int, issue_id: int) -> list[dict]:
        return viewers_of(self._issues.get((organization_id, issue_id), {}).values())

    async def renew(self, entries: list[PresenceEntry]) -> None:
        return None  # entries live exactly as long as their connections


class RedisPresence:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, organization_id: int, issue_id: int) -> str:
        return f"{self._prefix}:presence:{organization_id}:{issue_id}"

    async def join(self, entry: PresenceEntry) -> None:
        key = self._key(entry.organization_id, entry.issue_id)
        pipe = self._redis.pipeline(transaction=False)
        pipe.zadd(key, {entry.member(): time.time() + PRESENCE_TTL})
        pipe.expire(key, int(PRESENCE_TTL) + 5)
        await pipe.execute()

    async def leave(self, entry: PresenceEntry) -> None:
        await self._redis.zrem(self._key(entry.organization_id, entry.issue_id), entry.member())

    async def viewers(self, organization_id: int, issue_id: int) -> list[dict]:
        key = self._key(organization_id, issue_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zrange(key, 0, -1)
        _, raw_members = await pipe.execute()
        members = [json.loads(raw) for raw in raw_members]
        return viewers_of((user_id, name) for _, user_id, name in members)

    async def renew(self, entries: list[PresenceEntry]) -> None:
        if not entries:
            return
        expires = time.time() + PRESENCE_TTL
        pipe = self._redis.pipeline(transaction=False)
        for entry in entries:
            key = self._key(entry.organization_id, entry.issue_id)
            pipe.zadd(key, {entry.member(): expires})
            pipe.expire(key, int(PRESENCE_TTL) + 5)
        await pipe.execute()
