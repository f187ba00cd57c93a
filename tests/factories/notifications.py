"""An inbox entry written as the inbox sender writes it, for tests that need a real one without
running the worker (the fuzzer's path values)."""

from __future__ import annotations

import asyncio
import uuid

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery
from tessera.notifications.inbox import do_write_entry


async def add_inbox_entry_async(database_url: str, organization_id: int, user_id: int) -> int:
    database = Database(Settings(database_url=database_url))
    change = {"event_id": 0, "event_type": "issue_updated", "kind": "issue_updated", "actor_id": None,
              "at": utcnow().isoformat(), "payload": {}}
    delivery = ClaimedDelivery(id=0, organization_id=organization_id, channel="inbox", event_id=None,
                               event_type="issue_updated", target_id=user_id, target=f"user {user_id}",
                               idempotency_key=f"test:{uuid.uuid4().hex}", attempts=1, created_at=utcnow(),
                               payload={"kind": "issue", "recipient_id": user_id, "issue_id": None,
                                        "issue_key": None, "changes": [change]})
    try:
        async with database.unit_of_work() as session:
            entry = await do_write_entry(session, delivery)
        assert entry is not None
        return entry
    finally:
        await database.dispose()


def add_inbox_entry(database_url: str, organization_id: int, user_id: int) -> int:
    return asyncio.run(add_inbox_entry_async(database_url, organization_id, user_id))
