"""Concurrent reports of one build on PostgreSQL: whichever commits first, the greater
updateSequenceNumber wins and its issue links with it (no silent lost update)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.integrations.ci.reports import BuildReport
from tessera.integrations.ci.storage import do_store_build, resolve_issue_refs
from tests.support import OrgHandle, fetch_rows


def report(key: str, sequence: int, state: str) -> BuildReport:
    return BuildReport(pipeline_id="race", build_number=1, update_sequence_number=sequence, display_name="race #1",
                       url="https://ci.test/race/1", state=state, last_updated=datetime(2025, 1, 1, tzinfo=UTC),
                       issue_keys=(key,))


async def _race(database_url: str, organization_id: int, first: tuple[str, int, str],
                second: tuple[str, int, str]) -> tuple[bool, bool]:
    """`first` writes and holds its transaction open while `second` starts; then `first` commits."""
    database = Database(Settings(database_url=database_url))
    try:
        async def store(entry: tuple[str, int, str], started: asyncio.Event | None = None,
                        release: asyncio.Event | None = None) -> bool:
            key, sequence, state = entry
            async with database.unit_of_work() as session:
                found, _ = await resolve_issue_refs(session, organization_id=organization_id, refs=[key])
                written = await do_store_build(session, organization_id=organization_id,
                                               report=report(key, sequence, state), issue_ids=list(found.values()),
                                               property_digests=[], provider=None)
                if started is not None and release is not None:
                    started.set()
                    await release.wait()
                return written

        started, release = asyncio.Event(), asyncio.Event()
        holder = asyncio.create_task(store(first, started, release))
        await started.wait()
        waiter = asyncio.create_task(store(second))
        await asyncio.sleep(0.3)
        assert not waiter.done()  # blocked on the first writer's row lock
        release.set()
        return await holder, await waiter
    finally:
        await database.dispose()


def test_concurrent_writers_never_lose_the_newer_report(client: TestClient, org: OrgHandle, database_url: str,
                                                        issue_keys: list[str]) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: no two transactions interleave")
    a, b = issue_keys[0], issue_keys[1]
    sql = ("SELECT b.state, b.update_sequence_number AS usn, i.key FROM ci_builds b "
           "JOIN ci_build_issues l ON l.build_id = b.id JOIN issues i ON i.id = l.issue_id "
           "WHERE b.organization_id = :org AND b.pipeline_id = 'race'")
    # The newer report holds the lock; the older one then finds it and changes nothing.
    assert asyncio.run(_race(database_url, org.organization_id, (a, 200, "successful"), (b, 100, "failed"))) == (
        True, False)
    assert fetch_rows(database_url, sql, {"org": org.organization_id}) == [
        {"state": "successful", "usn": 200, "key": a}]
    # An older report holds the lock; the newer one waits, then replaces it and its links.
    assert asyncio.run(_race(database_url, org.organization_id, (a, 300, "in_progress"), (b, 400, "failed"))) == (
        True, True)
    assert fetch_rows(database_url, sql, {"org": org.organization_id}) == [{"state": "failed", "usn": 400, "key": b}]
