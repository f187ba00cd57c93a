"""The inbox sender: a delivery becomes one inbox row (again: nothing more) and one
NotificationAdded event with the unread count, for the live bell."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery
from tessera.notifications.inbox import InboxSender
from tests.factories.outbox import events
from tests.notifications.conftest import inbox_rows, make_team


def _delivery(org_id: int, user_id: int, key: str) -> ClaimedDelivery:
    change = {"event_id": 1, "event_type": "comment_added", "kind": "comment_added", "actor_id": None,
              "at": utcnow().isoformat(), "payload": {"body": "hi"}}
    return ClaimedDelivery(id=1, organization_id=org_id, channel="inbox", event_id=1, event_type="comment_added",
                           target_id=user_id, target=f"user {user_id}", idempotency_key=key, attempts=1,
                           created_at=utcnow(), payload={"kind": "issue", "recipient_id": user_id, "issue_id": None,
                                                         "issue_key": "GONE-1", "changes": [change]})


async def _send(settings: Settings, deliveries: list[ClaimedDelivery]) -> list[bool]:
    database = Database(settings)
    try:
        return [outcome.ok for outcome in await InboxSender(database).send_batch(deliveries)]
    finally:
        await database.dispose()


def test_a_delivery_makes_one_row_and_one_live_event_however_often_it_is_sent(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = make_team(api, notify_url)
    user = team.bystander.user_id
    first, second = (_delivery(team.org.organization_id, user, f"test:{user}:{n}") for n in (1, 2))
    assert asyncio.run(_send(notify_settings, [first, second])) == [True, True]
    assert asyncio.run(_send(notify_settings, [first])) == [True]
    rows = inbox_rows(notify_url, user)
    assert [row["delivery_key"] for row in rows] == [first.idempotency_key, second.idempotency_key]
    assert rows[0]["event"] == "comment_added" and rows[0]["issue_key"] == "GONE-1" and rows[0]["read_at"] is None
    added = [e["payload"] for e in events(notify_url, team.org, "notification_added") if e["payload"]["user_id"] == user]
    assert [(a["notification_id"], a["unread"]) for a in added] == [(rows[0]["id"], 1), (rows[1]["id"], 2)]


def test_a_delivery_to_a_user_who_no_longer_exists_fails_alone(api: TestClient, notify_url: str,
                                                                notify_settings: Settings) -> None:
    team = make_team(api, notify_url)
    good = _delivery(team.org.organization_id, team.watcher.user_id, f"test:{team.watcher.user_id}:ok")
    gone = _delivery(team.org.organization_id, 987654321, "test:gone")
    other_org = _delivery(team.org.organization_id + 10_000, team.watcher.user_id, "test:elsewhere")
    assert asyncio.run(_send(notify_settings, [gone, good, other_org])) == [False, True, False]
    assert [row["delivery_key"] for row in inbox_rows(notify_url, team.watcher.user_id)] == [good.idempotency_key]
