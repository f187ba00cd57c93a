"""Inbox entries for tests that need them without running the worker.

`add_inbox_entry` writes a real entry as the inbox sender writes it (its row and its
NotificationAdded event, one transaction): the fuzzer's path values and the bell's tests.
`add_notification` emits only the NotificationAdded event, with the numbers a test chooses, in
the app's own database so its commit listeners publish it: the live stream's routing tests,
which are about who hears an event, not what the inbox holds."""

from __future__ import annotations

import asyncio
import uuid

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery
from tessera.events.outbox import emit
from tessera.events.types import NotificationAdded
from tessera.notifications.inbox import do_write_entry


async def add_notification_async(database: Database, *, organization_id: int, user_id: int, notification_id: int,
                                 unread: int) -> int:
    """Returns the outbox event's id (what a stream message carries as `id`)."""
    async with database.unit_of_work() as session:
        return await emit(session, NotificationAdded(user_id=user_id, notification_id=notification_id, unread=unread),
                          organization_id=organization_id, aggregate_id=user_id, actor_id=None)


def add_notification(client: TestClient, *, organization_id: int, user_id: int, notification_id: int,
                     unread: int) -> int:
    """Through the app's own database (and so its commit listeners), on the app's event loop."""
    assert client.portal is not None, "use the TestClient as a context manager"
    database: Database = client.app.state.database  # type: ignore[attr-defined]

    async def run() -> int:
        return await add_notification_async(database, organization_id=organization_id, user_id=user_id,
                                            notification_id=notification_id, unread=unread)

    return client.portal.call(run)


async def write_inbox_entry(database: Database, organization_id: int, user_id: int) -> int:
    change = {"event_id": 0, "event_type": "issue_updated", "kind": "issue_updated", "actor_id": None,
              "at": utcnow().isoformat(), "payload": {}}
    delivery = ClaimedDelivery(id=0, organization_id=organization_id, channel="inbox", event_id=None,
                               event_type="issue_updated", target_id=user_id, target=f"user {user_id}",
                               idempotency_key=f"test:{uuid.uuid4().hex}", attempts=1, created_at=utcnow(),
                               payload={"kind": "issue", "recipient_id": user_id, "issue_id": None,
                                        "issue_key": None, "changes": [change]})
    async with database.unit_of_work() as session:
        entry = await do_write_entry(session, delivery)
    assert entry is not None
    return entry


async def add_inbox_entry_async(database_url: str, organization_id: int, user_id: int) -> int:
    database = Database(Settings(database_url=database_url))
    try:
        return await write_inbox_entry(database, organization_id, user_id)
    finally:
        await database.dispose()


def add_inbox_entry(database_url: str, organization_id: int, user_id: int) -> int:
    return asyncio.run(add_inbox_entry_async(database_url, organization_id, user_id))
