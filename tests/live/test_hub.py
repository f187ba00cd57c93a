"""Live updates in one server process, on both backends: committed changes reach the issue's and
the project's streams in the seed's shape, refused changes publish nothing, and one organization
never receives another's events (tests/factories/live.py tells how absence is shown)."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.live import create_issue, receive_event, stream, update_issue
from tests.support import OrgHandle, UserHandle, fetch_rows


def test_changes_reach_issue_and_project_streams_in_the_seeds_shape(
        client: TestClient, database_url: str, org: OrgHandle, project: dict, issue: dict, member: UserHandle) -> None:
    with stream(client, f"/v2/issues/{issue['key']}/live", org.headers) as on_issue, \
            stream(client, f"/v2/projects/{project['key']}/live", member.headers) as on_project:
        assert on_issue.welcome["issue_id"] == issue["id"] and on_issue.welcome["project_id"] == project["id"]
        assert on_project.welcome["scope"] == "project" and isinstance(on_project.welcome["last_event_id"], int)
        update_issue(client, org.headers, issue, summary="Renamed", assignee_id=member.user_id)
        [outbox_id] = [row["id"] for row in fetch_rows(
            database_url, "SELECT id FROM outbox_events WHERE organization_id = :org AND event_type = 'issue_updated'",
            {"org": org.organization_id})]
        for ws in (on_issue, on_project):
            message = receive_event(ws)
            assert message["type"] == "issue_updated" and message["id"] == outbox_id
            data = message["data"]
            assert data["issue_id"] == issue["id"] and data["user_id"] == org.admin_user_id
            assert data["field_changes"]["summary"] == {"from": "Live issue", "to": "Renamed"}
            assert data["field_changes"]["assignee"]["from"] is None
            assert datetime.fromisoformat(data["timestamp"]).tzinfo is not None
        ok(client.post(f"/v2/issues/{issue['id']}/transitions/21", headers=org.headers))
        for ws in (on_issue, on_project):
            message = receive_event(ws)
            assert message["type"] == "status_changed"
            assert message["data"]["field_changes"]["status"] == {"from": "To Do", "to": "In Progress"}
        ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Looks good"}, headers=member.headers),
            201)
        for ws in (on_issue, on_project):
            message = receive_event(ws)
            assert message["type"] == "comment_added" and message["data"]["user_id"] == member.user_id
            assert message["data"]["body"] == "Looks good" and message["data"]["field_changes"] == {}
        created = create_issue(client, org, project, "Second")
        message = receive_event(on_project)
        assert message["type"] == "issue_created" and message["data"]["issue_id"] == created["id"]
        update_issue(client, org.headers, issue, summary="Once more")
        assert receive_event(on_issue)["data"]["field_changes"]["summary"]["to"] == "Once more"


def test_a_refused_change_publishes_nothing(client: TestClient, org: OrgHandle, issue: dict) -> None:
    with stream(client, f"/v2/issues/{issue['id']}/live", org.headers) as ws:
        stale = client.put(f"/v2/issues/{issue['id']}", json={"summary": "Lost", "version": 99}, headers=org.headers)
        assert stale.status_code == 409
        invalid = client.put(f"/v2/issues/{issue['id']}", json={"priority": "no such"}, headers=org.headers)
        assert invalid.status_code == 400
        update_issue(client, org.headers, issue, summary="Kept")
        message = receive_event(ws)
        assert message["data"]["field_changes"] == {"summary": {"from": "Live issue", "to": "Kept"}}


def test_org_b_never_receives_org_a_events_even_for_the_same_key(
        client: TestClient, org: OrgHandle, other_org: OrgHandle, project: dict, issue: dict) -> None:
    b_project = ok(client.post("/v2/projects", json={"key": project["key"], "name": "B's own"},
                                headers=other_org.headers), 201)
    b_issue = create_issue(client, other_org, b_project)
    assert b_issue["key"] == issue["key"] and b_issue["id"] != issue["id"]
    with stream(client, f"/v2/issues/{issue['key']}/live", other_org.headers) as b_on_key, \
            stream(client, f"/v2/projects/{project['key']}/live", other_org.headers) as b_on_project:
        assert b_on_key.welcome["issue_id"] == b_issue["id"]
        for n in range(3):
            update_issue(client, org.headers, issue, summary=f"A's change {n}")
        ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "A's secret"}, headers=org.headers), 201)
        update_issue(client, other_org.headers, b_issue, summary="B's change")
        for ws in (b_on_key, b_on_project):
            message = receive_event(ws)
            assert message["data"]["issue_id"] == b_issue["id"], message
            assert message["data"]["field_changes"]["summary"]["to"] == "B's change"
        assert b_on_key.welcome["last_event_id"] < message["id"]
