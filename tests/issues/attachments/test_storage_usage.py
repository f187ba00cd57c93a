"""The organization's storage quota, on SQLite and PostgreSQL: enforced on upload, and never
exceeded by concurrent uploads or by reservations in concurrent transactions."""

from __future__ import annotations

import asyncio
import os
import threading

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import PayloadTooLarge
from tessera.issues.attachments.storage_usage import reserve_storage, storage_usage
from tests.factories.attachments import Server, upload, used_bytes
from tests.support import (
    OrgHandle,
    make_org_async,
    set_limits,
    set_limits_async,
)


def test_the_storage_quota_is_enforced(server: Server, a: OrgHandle, issue: dict) -> None:
    set_limits(server.database_url, a.key, storage_mb=1)  # what `tessera set-limits KEY --storage-mb 1` does
    first = upload(server.client, a.headers, issue["id"], ("one.bin", os.urandom(600_000), "x/y"))
    assert first.status_code == 201, first.text
    second = upload(server.client, a.headers, issue["id"], ("two.bin", os.urandom(600_000), "x/y"))
    assert second.status_code == 413, second.text
    error = second.json()["error"]
    assert error["code"] == "storage_quota_exceeded"
    assert (error["used_bytes"], error["quota_bytes"], error["requested_bytes"]) == (600_000, 1024 * 1024, 600_000)
    assert len(server.objects(a)) == 1 and used_bytes(server.database_url, a) == 600_000
    # Deleting frees the quota; the same upload then fits.
    assert server.client.delete(f"/v2/attachments/{first.json()[0]['id']}", headers=a.headers).status_code == 204
    assert used_bytes(server.database_url, a) == 0
    assert upload(server.client, a.headers, issue["id"], ("two.bin", b"z" * 600_000, "x/y")).status_code == 201


def test_concurrent_uploads_cannot_pass_the_quota_together(server: Server, a: OrgHandle, issue: dict) -> None:
    set_limits(server.database_url, a.key, storage_mb=1)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def send(name: str) -> None:
        barrier.wait()
        results.append(upload(server.client, a.headers, issue["id"], (name, os.urandom(600_000), "x/y")).status_code)

    threads = [threading.Thread(target=send, args=(f"{n}.bin",)) for n in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201, 413]
    assert len(server.objects(a)) == 1 and used_bytes(server.database_url, a) == 600_000


async def test_reservations_in_concurrent_transactions_never_exceed_the_quota(database_url: str) -> None:
    """The guarded UPDATE itself: two transactions reserve at once; the second waits on the first's
    row lock (PostgreSQL) or its turn to write (SQLite), then finds no room."""
    org = await make_org_async(database_url, password=None)
    await set_limits_async(database_url, org.key, storage_mb=1)
    database = Database(Settings(database_url=database_url))
    outcomes: list[str] = []

    async def reserve(hold: float) -> None:
        try:
            async with database.unit_of_work() as session:
                await reserve_storage(session, organization_id=org.organization_id, size=600_000)
                await asyncio.sleep(hold)  # keep the lock while the other one tries
            outcomes.append("reserved")
        except PayloadTooLarge as error:
            assert error.code == "storage_quota_exceeded"
            outcomes.append("refused")

    try:
        await asyncio.gather(reserve(0.3), reserve(0.0))
        async with database.unit_of_work(write=False) as session:
            usage = await storage_usage(session, org.organization_id)
    finally:
        await database.dispose()
    assert sorted(outcomes) == ["refused", "reserved"] and usage.used_bytes == 600_000
