"""An entry reaching a user's inbox, as the notification fan-out adds one: in one unit of work
with its NotificationAdded event, so the live hub publishes it after the commit.

This is the one swap point: until the inbox table is merged the entry is the event alone (the
bell's count comes from the event's `unread`); once it is, insert the row here as well."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tessera.db.engine import Database
from tessera.events.outbox import emit
from tessera.events.types import NotificationAdded


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
