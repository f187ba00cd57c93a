"""The rate limiter shared through Redis: two limiters (two server processes) count together."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as redis

from tessera.errors import RateLimited
from tessera.tenancy.limits import RateLimiter
from tests.support import REDIS_URL


async def _client() -> redis.Redis:
    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.ConnectionError) as error:
        await client.aclose()
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    return client


def test_two_processes_share_one_budget() -> None:
    async def scenario() -> None:
        first, second = await _client(), await _client()
        organization_id = int(uuid.uuid4().int % 10**12)
        try:
            a, b = RateLimiter(first), RateLimiter(second)
            for _ in range(3):
                await a.hit(organization_id, 6)
                await b.hit(organization_id, 6)
            with pytest.raises(RateLimited) as refused:
                await a.hit(organization_id, 6)
            assert 1 <= refused.value.retry_after <= 60
            await b.hit(organization_id + 1, 6)  # another organization has its own budget
        finally:
            await first.aclose()
            await second.aclose()

    asyncio.run(scenario())
