"""Subscription tiers, per-organization overrides, and the rate limiter.

The limiter counts fixed windows per organization: requests per minute (every authenticated
request) and searches per hour (every JQL search a client asks for, see check_search_quota).
In-process by default; with Redis it is shared by every server process (INCR + EXPIRE on a
per-window key under the deployment's key prefix)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput, RateLimited
from tessera.tenancy.actor import Actor


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int
    searches_per_hour: int
    max_users: int
    storage_mb: int


TIERS: dict[str, Limits] = {
    "free": Limits(requests_per_minute=600, searches_per_hour=600, max_users=10, storage_mb=2_048),
    "standard": Limits(requests_per_minute=60_000, searches_per_hour=100_000, max_users=10_000, storage_mb=250_000),
    "enterprise": Limits(requests_per_minute=600_000, searches_per_hour=1_000_000, max_users=1_000_000,
                         storage_mb=10_000_000),
}


class HasLimits(Protocol):
    tier: str
    requests_per_minute: int | None
    searches_per_hour: int | None
    max_users: int | None
    storage_mb: int | None


def effective_limits(org: HasLimits) -> Limits:
    base = TIERS.get(org.tier, TIERS["standard"])
    return Limits(
        requests_per_minute=org.requests_per_minute if org.requests_per_minute is not None else base.requests_per_minute,
        searches_per_hour=org.searches_per_hour if org.searches_per_hour is not None else base.searches_per_hour,
        max_users=org.max_users if org.max_users is not None else base.max_users,
        storage_mb=org.storage_mb if org.storage_mb is not None else base.storage_mb,
    )


async def check_set_limits(session: AsyncSession, *, organization: HasLimits, **limits: int | None) -> Limits:
    """Validates each named limit (known, positive; None leaves it alone), then do_set_limits."""
    for name, value in limits.items():
        if value is None:
            continue
        if name not in Limits.__dataclass_fields__:
            raise InvalidInput(f"Unknown limit '{name}'.", field=name)
        if value < 1:
            raise InvalidInput(f"{name} must be a positive number.", field=name)
    return await do_set_limits(session, organization=organization,
                               **{name: value for name, value in limits.items() if value is not None})


async def do_set_limits(session: AsyncSession, *, organization: HasLimits, **limits: int) -> Limits:
    for name, value in limits.items():
        setattr(organization, name, value)
    await session.flush()
    return effective_limits(organization)


class SearchQuota(Protocol):
    """What the search service asks before running a client's JQL (tessera.jql.search)."""

    async def check_search_quota(self, actor: Actor) -> None:
        """Counts one search; raises RateLimited past the organization's searches per hour."""
        ...


class RateLimiter:
    """Counts requests per organization per minute and searches per organization per hour;
    raises RateLimited (with the seconds until the window ends) past the limit.

    An organization refused once stays refused until its window ends, and this process
    remembers that (`refusal`): its further requests are refused from memory, before any
    framework reads them (tessera.edge.early_refusal), so that a tenant flooding at its limit
    costs the others as little as possible. Their refusals are not counted (the window is spent
    anyway)."""

    _BLOCKED_KEPT = 10_000

    def __init__(self, redis: object | None = None, *, prefix: str = "tessera") -> None:
        self._redis = redis
        self._prefix = prefix
        self._windows: dict[tuple[str, int], tuple[int, int]] = {}
        # organization id -> (when its window ends, time.time(); the limit it reached)
        self._blocked: dict[int, tuple[float, int]] = {}

    @property
    def blocking(self) -> bool:
        """Whether some organization is being refused in this process now (or was lately)."""
        return bool(self._blocked)

    def refusal(self, organization_id: int, limit: int) -> RateLimited | None:
        """The refusal of an organization known to be past `limit` in its current window, from
        memory (no I/O); None when it is not known to be. A changed limit asks the counter again."""
        blocked = self._blocked.get(organization_id)
        if blocked is None:
            return None
        until, reached = blocked
        now = time.time()
        if now >= until or reached != limit:
            del self._blocked[organization_id]
            return None
        return RateLimited(f"The organization's limit of {limit} requests per minute is reached.",
                           retry_after=max(1, math.ceil(until - now)))

    async def _count(self, kind: str, organization_id: int, seconds: int) -> tuple[int, int]:
        """(hits in the current window including this one, seconds until the window ends)."""
        now = time.time()
        window = int(now // seconds)
        if self._redis is not None:
            key = f"{self._prefix}:{kind}:{organization_id}:{window}"
            pipe = self._redis.pipeline()  # type: ignore[attr-defined]
            pipe.incr(key)
            pipe.expire(key, 2 * seconds)
            count, _ = await pipe.execute()
        else:
            current_window, count = self._windows.get((kind, organization_id), (window, 0))
            count = count + 1 if current_window == window else 1
            self._windows[(kind, organization_id)] = (window, count)
        return count, max(1, int(seconds - now % seconds))

    async def hit(self, organization_id: int, limit: int) -> None:
        count, retry_after = await self._count("rl", organization_id, 60)
        if count > limit:
            if len(self._blocked) >= self._BLOCKED_KEPT:
                self._blocked.clear()
            self._blocked[organization_id] = (time.time() + retry_after, limit)
            raise RateLimited(f"The organization's limit of {limit} requests per minute is reached.",
                              retry_after=retry_after)

    async def check_search_quota(self, actor: Actor) -> None:
        count, retry_after = await self._count("sq", actor.organization_id, 3600)
        if count > actor.searches_per_hour:
            raise RateLimited(f"The organization's limit of {actor.searches_per_hour} searches per hour is reached.",
                              retry_after=retry_after)
