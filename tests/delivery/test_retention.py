"""Purging in chunks on SQLite and PostgreSQL: every chunk its own transaction, the whole purge
taking what one statement would (settled, old enough, of the organization asked), attempts
going with their delivery, and nothing of another organization touched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.models import DeliveryAttempt
from tessera.delivery.operations import SETTLED, do_purge_deliveries
from tessera.delivery.retention import purge_deliveries
from tests.factories.deliveries import Planned, plant_async, states_async
from tests.support import OrgHandle


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=database_url))
    yield database
    await database.dispose()


async def _attempts(database: Database, ids: list[int]) -> int:
    async with database.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(DeliveryAttempt)
                                        .where(DeliveryAttempt.delivery_id.in_(ids))) or 0)


async def test_one_statement_deletes_at_most_a_chunk_oldest_first(database: Database, database_url: str,
                                                                   org: OrgHandle) -> None:
    old = utcnow() - timedelta(days=40)
    ids = await plant_async(database_url, org.organization_id, *[Planned(state="delivered", created_at=old)] * 3)
    async with database.unit_of_work() as session:
        assert await do_purge_deliveries(session, organization_id=org.organization_id, states=SETTLED,
                                         older_than_days=30, limit=2) == 2
    assert await states_async(database_url, ids) == {ids[2]: "delivered"}


async def test_a_purge_in_chunks_takes_every_old_settled_delivery_with_its_attempts_and_only_its_own(
        database: Database, database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    old = utcnow() - timedelta(days=40)
    settled = await plant_async(database_url, org.organization_id,
                                *[Planned(state="delivered", created_at=old)] * 4,
                                *[Planned(state="dead", attempts=2, created_at=old)] * 3)
    kept = await plant_async(database_url, org.organization_id, Planned(state="failed", created_at=old),
                             Planned(state="pending", created_at=old), Planned(state="delivered"))
    theirs = await plant_async(database_url, other_org.organization_id,
                               *[Planned(state="delivered", created_at=old)] * 3)
    assert await _attempts(database, settled) == 4 + 3 * 2
    # 7 rows in chunks of 2: four transactions, the last one short.
    purged = await purge_deliveries(database, organization_id=org.organization_id, older_than_days=30, chunk=2)
    assert purged == 7
    assert await states_async(database_url, settled) == {}
    assert await _attempts(database, settled) == 0
    assert await states_async(database_url, kept) == dict(zip(kept, ["failed", "pending", "delivered"], strict=True))
    assert await states_async(database_url, theirs) == dict.fromkeys(theirs, "delivered")
    assert await _attempts(database, theirs) == 3
    # Nothing left to take: one short chunk, nothing deleted.
    assert await purge_deliveries(database, organization_id=org.organization_id, older_than_days=30, chunk=2) == 0
