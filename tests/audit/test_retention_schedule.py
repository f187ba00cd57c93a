"""The worker's housekeeping purges each organization's audit records past that organization's
own retention, and only those; the chain stays verifiable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import update

from tessera.audit.models import AuditRecord
from tessera.audit.retention import set_retention
from tessera.audit.verify import verify_chain
from tessera.notifications.housekeeping import keep_house
from tests.audit.test_chain import _write, audited
from tests.support import OrgHandle, fetch_rows


def test_housekeeping_purges_by_each_organizations_policy(database_url: str, org: OrgHandle,
                                                           other_org: OrgHandle) -> None:
    async def run() -> tuple[int, int, bool]:
        async with audited(database_url) as database:
            for organization_id in (org.organization_id, other_org.organization_id):
                await _write(database, organization_id, 3)
            async with database.unit_of_work() as session:
                await set_retention(session, organization_id=org.organization_id, days=1)
            async with database.unit_of_work() as session:
                # Two records of each made long ago (their hash covers `at`, but they are about to go).
                await session.execute(update(AuditRecord).where(AuditRecord.sequence <= 2, AuditRecord.organization_id.in_(
                    [org.organization_id, other_org.organization_id])).values(at=datetime(2020, 1, 1, tzinfo=UTC)))
            report = await keep_house(database, retention_days=0)
            async with database.unit_of_work(write=False) as session:
                ours = await verify_chain(session, org.organization_id)
            return report.audit_records, ours.checked, ours.ok

    purged, checked, holds = asyncio.run(run())
    assert purged >= 2 and holds
    kept = fetch_rows(database_url, "SELECT action FROM audit_records WHERE organization_id = :o ORDER BY sequence",
                      {"o": org.organization_id})
    assert [row["action"] for row in kept] == ["test.did", "audit.retention_changed", "audit.purged"]
    # No policy: the other organization keeps every record.
    assert len(fetch_rows(database_url, "SELECT id FROM audit_records WHERE organization_id = :o",
                          {"o": other_org.organization_id})) == 3
