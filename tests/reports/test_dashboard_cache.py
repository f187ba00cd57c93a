"""The gadget cache's data version: bumped by committed events in this process at once, and
through Redis for every other process (two caches on one Redis stand for two servers)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import pytest
import redis.asyncio as redis_asyncio

from tessera.events.outbox import EmittedEvent
from tessera.events.types import IssueUpdated
from tessera.reports.dashboard_cache import GadgetCache
from tests.support import REDIS_URL


def _event(organization_id: int) -> EmittedEvent:
    event = IssueUpdated(issue_id=1, issue_key="P-1", project_id=1, field_changes={}, user_id=None,
                         timestamp=datetime.now(UTC).isoformat(), issue_version=2)
    return EmittedEvent(id=1, organization_id=organization_id, event_type="issue_updated", aggregate_type="issue",
                        aggregate_id=1, actor_id=None, payload={}, created_at=datetime.now(UTC), event=event)


async def test_versions_move_with_commits_of_the_organization_only() -> None:
    cache = GadgetCache()
    before, other = await cache.version(7), await cache.version(8)
    cache.on_commit([_event(7)])
    assert await cache.version(7) != before and await cache.version(8) == other
    cache.put("k", {"data": 1})
    assert cache.get("k") == {"data": 1}


async def test_entries_expire_after_the_safety_ttl() -> None:
    cache = GadgetCache(ttl=0.05)
    cache.put("k", {"data": 1})
    time.sleep(0.06)
    assert cache.get("k") is None


async def test_a_commit_in_one_process_invalidates_the_others_through_redis() -> None:
    client = redis_asyncio.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), 2)
    except Exception as problem:  # noqa: BLE001
        await client.aclose()
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {problem}")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    writer, reader = GadgetCache(redis=client, prefix=prefix), GadgetCache(redis=client, prefix=prefix)
    await writer.start()
    try:
        seen = await reader.version(42)
        writer.on_commit([_event(42)])
        for _ in range(100):  # the INCR leaves right after the commit, from a background task
            if await reader.version(42) != seen:
                break
            await asyncio.sleep(0.01)
        assert await reader.version(42) != seen
    finally:
        await writer.stop()
        await client.delete(f"{prefix}:reports:version:42")
        await client.aclose()
