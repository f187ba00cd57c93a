"""Presence and typing between two viewers of one issue."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.live import receive, stream, update_issue
from tests.support import OrgHandle, UserHandle


def test_presence_and_typing_between_two_viewers(client: TestClient, org: OrgHandle, issue: dict,
                                                 member: UserHandle) -> None:
    url = f"/v2/issues/{issue['id']}/live"
    with stream(client, url, org.headers) as admin:
        assert [v["user_id"] for v in receive(admin)["data"]["viewers"]] == [org.admin_user_id]
        with stream(client, url, member.headers) as watcher:
            both = sorted([org.admin_user_id, member.user_id])
            assert sorted(v["user_id"] for v in receive(watcher)["data"]["viewers"]) == both
            joined = receive(admin)
            assert joined["type"] == "presence" and joined["data"]["issue_id"] == issue["id"]
            assert sorted(v["user_id"] for v in joined["data"]["viewers"]) == both
            for _ in range(3):  # relayed once: at most one notice a second per connection
                admin.send_json({"type": "user_typing"})
            update_issue(client, org.headers, issue, summary="Typed")
            typing = receive(watcher)
            assert typing["type"] == "user_typing" and "id" not in typing
            assert typing["data"]["user_id"] == org.admin_user_id and typing["data"]["issue_id"] == issue["id"]
            assert typing["data"]["field_changes"] == {} and typing["data"]["timestamp"]
            assert receive(watcher)["type"] == "issue_updated"
            assert receive(admin)["type"] == "issue_updated"  # no echo of one's own typing
        left = receive(admin)
        assert [v["user_id"] for v in left["data"]["viewers"]] == [org.admin_user_id]
