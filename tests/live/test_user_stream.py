"""The signed-in user's own stream, /v2/notifications/live (the web UI's bell): a user receives
the NotificationAdded of their own inbox only, never another user's nor another organization's;
it is authenticated like every live stream; it resumes from the outbox; and an entry committed
by a process without live connections (a `tessera worker`) reaches the server's sockets through
Redis."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.live.publisher import LivePublisher
from tessera.main import create_app
from tests.factories.http import ok
from tests.factories.live import closed_with, receive, refused, stream
from tests.factories.notifications import add_notification, add_notification_async
from tests.support import REDIS_URL, OrgHandle, UserHandle, make_user, redis_unreachable_reason

PATH = "/v2/notifications/live"


def test_a_user_receives_their_own_notifications_only(
        client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle, member: UserHandle) -> None:
    colleague = make_user(database_url, org)
    outsider = make_user(database_url, other_org)
    with stream(client, PATH, member.headers) as mine, stream(client, PATH, outsider.headers) as theirs:
        assert mine.welcome["scope"] == "user" and mine.welcome["user_id"] == member.user_id
        assert "project_id" not in mine.welcome and isinstance(mine.welcome["last_event_id"], int)
        # Someone else's entries first, in this and the other organization; then one of mine. Events
        # leave in commit order, so had the others reached me they would arrive before mine.
        add_notification(client, organization_id=org.organization_id, user_id=colleague.user_id,
                         notification_id=901, unread=5)
        add_notification(client, organization_id=other_org.organization_id, user_id=outsider.user_id,
                         notification_id=902, unread=7)
        # An entry naming my user id under another organization is not mine either.
        add_notification(client, organization_id=other_org.organization_id, user_id=member.user_id,
                         notification_id=903, unread=9)
        event_id = add_notification(client, organization_id=org.organization_id, user_id=member.user_id,
                                    notification_id=904, unread=3)
        message = receive(mine)
        assert message == {"type": "notification_added", "id": event_id, "unread": 3, "notification_id": 904,
                           "data": {"user_id": member.user_id, "notification_id": 904, "unread": 3,
                                    "timestamp": message["data"]["timestamp"]}}
        outsider_message = receive(theirs)
        assert (outsider_message["notification_id"], outsider_message["unread"]) == (902, 7)
        add_notification(client, organization_id=other_org.organization_id, user_id=outsider.user_id,
                         notification_id=905, unread=8)
        assert receive(theirs)["notification_id"] == 905  # not 903: that one was addressed in B to A's id
        ok_again = add_notification(client, organization_id=org.organization_id, user_id=member.user_id,
                                    notification_id=906, unread=4)
        assert receive(mine)["id"] == ok_again


def test_the_stream_is_authenticated_like_the_others(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    assert refused(client, PATH).code == 4401
    assert refused(client, PATH, {"Authorization": "Bearer not-a-token"}).code == 4401
    ticket = ok(client.post("/v2/live/tickets", headers=member.headers), 201)["ticket"]
    with stream(client, f"{PATH}?ticket={ticket}") as ws:
        assert ws.welcome["user_id"] == member.user_id
        add_notification(client, organization_id=org.organization_id, user_id=member.user_id,
                         notification_id=1, unread=1)
        assert receive(ws)["unread"] == 1
        ws.send_text('{"type": "user_typing"}')
        assert receive(ws)["data"]["code"] == "not_an_issue_stream"
    assert refused(client, f"{PATH}?ticket={ticket}").code == 4401  # single use
    assert refused(client, f"{PATH}?last_event_id=-1", member.headers).code == 4400


def test_a_reconnecting_client_gets_what_it_missed(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    with stream(client, PATH, member.headers) as ws:
        cursor = ws.welcome["last_event_id"]
    missed = [add_notification(client, organization_id=org.organization_id, user_id=member.user_id,
                               notification_id=n, unread=n) for n in (11, 12)]
    add_notification(client, organization_id=org.organization_id, user_id=org.admin_user_id,
                     notification_id=13, unread=1)  # the admin's, not replayed to the member
    with stream(client, f"{PATH}?last_event_id={cursor}", member.headers) as ws:
        assert [receive(ws)["id"] for _ in missed] == missed
        ws.send_text('{"type": "ping"}')
        assert receive(ws)["type"] == "pong"


def test_a_deactivated_users_stream_closes(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    with stream(client, PATH, member.headers) as ws:
        ok(client.put(f"/v2/users/{member.user_id}", json={"active": False}, headers=org.headers))
        assert closed_with(ws) == 4401


def test_a_workers_commit_reaches_the_servers_sockets_through_redis(
        settings: Settings, database_url: str, org: OrgHandle, member: UserHandle) -> None:
    reason = redis_unreachable_reason()
    if reason:
        pytest.skip(reason)
    shared = replace(settings, redis_url=REDIS_URL, live_channel_prefix=f"t-{uuid.uuid4().hex[:8]}")

    async def as_a_worker() -> int:
        database = Database(shared)  # another process's: no hub, only the publisher
        publisher = LivePublisher.attach(shared, database)
        assert publisher is not None
        await publisher.start()
        try:
            return await add_notification_async(database, organization_id=org.organization_id,
                                                user_id=member.user_id, notification_id=77, unread=2)
        finally:
            await publisher.stop()
            await database.dispose()

    with TestClient(create_app(shared)) as server, stream(server, PATH, member.headers) as ws:
        event_id = asyncio.run(as_a_worker())
        message = receive(ws)
        assert (message["id"], message["notification_id"], message["unread"]) == (event_id, 77, 2)
