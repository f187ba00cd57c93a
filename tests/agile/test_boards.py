"""/v2/boards: creating, reading, changing and deleting boards, and who may see and change them
(the filter's sharing, the owner, administrators)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.boards import error, new_board, ok
from tests.factories.outbox import events
from tests.support import OrgHandle, make_user


def statuses(client: TestClient, org: OrgHandle) -> dict[str, dict]:
    return {s["name"]: s for s in ok(client.get("/v2/statuses", headers=org.headers))["statuses"]}


def test_create_read_change_and_delete_a_board(client: TestClient, database_url: str, org: OrgHandle,
                                               project: dict) -> None:
    h = org.headers
    by_name = statuses(client, org)
    board = new_board(client, h, project, name="Delivery", type="kanban",
                      quick_filters=[{"name": "Mine", "jql": "assignee = currentUser()"}])
    assert board["type"] == "kanban" and board["location"]["project_key"] == project["key"]
    assert [c["name"] for c in board["columns"]] == ["To Do", "In Progress", "Done"]
    assert board["columns"][1]["status_ids"] == sorted([by_name["In Progress"]["id"], by_name["In Review"]["id"]])
    assert board["filter"]["name"] == "Filter for Delivery" and board["filter"]["jql"] == f'project = "{project["key"]}"'
    assert board["quick_filters"] == [{"id": 1, "name": "Mine", "jql": "assignee = currentUser()", "description": ""}]
    saved = ok(client.get(f"/v2/filters/{board['filter']['id']}", headers=h))
    assert saved["shares"] == [{"type": "project", "project": {"id": project["id"], "key": project["key"],
                                                               "name": project["name"]}}]
    assert ok(client.get(f"/v2/boards/{board['id']}", headers=h)) == board

    changed = ok(client.put(f"/v2/boards/{board['id']}", headers=h, json={
        "name": "Delivery flow", "version": 1, "sub_filter": "priority != Lowest",
        "columns": [{"name": "Backlog", "status_ids": ["To Do"]},
                    {"name": "Doing", "status_ids": ["In Progress", by_name["In Review"]["id"]], "min": 1, "max": 3},
                    {"name": "Done", "status_ids": ["Done", "Won't Do"]}],
        "quick_filters": [{"id": 1, "name": "Mine", "jql": "assignee = currentUser()"},
                          {"name": "Bugs", "jql": "type = Bug"}],
        "swimlanes": {"type": "queries", "queries": [{"name": "Urgent", "jql": "priority = Highest"}]}}))
    assert changed["version"] == 2 and changed["name"] == "Delivery flow"
    assert changed["columns"][1] == {"name": "Doing", "min": 1, "max": 3,
                                     "status_ids": [by_name["In Progress"]["id"], by_name["In Review"]["id"]]}
    assert [(f["id"], f["name"]) for f in changed["quick_filters"]] == [(1, "Mine"), (2, "Bugs")]
    assert changed["swimlanes"] == {"type": "queries", "queries": [{"name": "Urgent", "jql": "priority = Highest"}]}
    stale = error(client.put(f"/v2/boards/{board['id']}", json={"name": "Late", "version": 1}, headers=h), 409)
    assert stale["code"] == "version_conflict" and stale["current_version"] == 2

    listed = ok(client.get("/v2/boards", params={"project_id": project["key"], "type": "kanban"}, headers=h))
    assert [b["id"] for b in listed["boards"]] == [board["id"]] and listed["total"] == 1
    assert ok(client.get("/v2/boards", params={"type": "scrum"}, headers=h))["boards"] == []
    assert client.delete(f"/v2/boards/{board['id']}", headers=h).status_code == 204
    assert error(client.get(f"/v2/boards/{board['id']}", headers=h), 404)["code"] == "not_found"
    assert [e["event_type"] for e in events(database_url, org, "board_created", "board_updated", "board_deleted")] == \
        ["board_created", "board_updated", "board_deleted"]


def test_boards_are_seen_through_their_filters_sharing(client: TestClient, database_url: str, org: OrgHandle,
                                                      project: dict) -> None:
    h = org.headers
    member = make_user(database_url, org, role="member")
    private = ok(client.post("/v2/filters", json={"name": "Mine only", "jql": "project = PROJ"}, headers=h), 201)
    board = new_board(client, h, project, name="Admin's board", filter_id=private["id"])
    url = f"/v2/boards/{board['id']}"
    assert error(client.get(url, headers=member.headers), 404)["message"] == "Board not found."
    assert ok(client.get("/v2/boards", headers=member.headers))["boards"] == []
    assert client.get(f"{url}/issues", headers=member.headers).status_code == 404
    ok(client.put(f"/v2/filters/{private['id']}", json={"shares": [{"type": "organization"}]}, headers=h))
    seen = ok(client.get(url, headers=member.headers))
    assert seen["can_manage"] is False and seen["filter"]["id"] == private["id"]
    assert [b["id"] for b in ok(client.get("/v2/boards", headers=member.headers))["boards"]] == [board["id"]]
    assert error(client.put(url, json={"name": "Taken"}, headers=member.headers), 403)["code"] == "permission_denied"
    assert client.delete(url, headers=member.headers).status_code == 403
    # A member's own board on an unshared filter of theirs: theirs to see and change.
    own_filter = ok(client.post("/v2/filters", json={"name": "Member's", "jql": ""}, headers=member.headers), 201)
    own = new_board(client, member.headers, project, name="Member's board", filter_id=own_filter["id"])
    assert own["can_manage"] is True and error(client.get(f"/v2/boards/{own['id']}", headers=h), 404)
    ok(client.put(f"/v2/boards/{own['id']}", json={"name": "Renamed"}, headers=member.headers))
    # Shared, but in a private project the member may not browse: not there.
    secret = ok(client.post("/v2/projects", json={"key": "SEC", "name": "Secret", "access": "private"},
                            headers=h), 201)
    hidden = new_board(client, h, secret, name="Hidden", filter_id=private["id"])
    assert client.get(f"/v2/boards/{hidden['id']}", headers=member.headers).status_code == 404
    # Deleting the filter leaves the board to its owner, showing nothing.
    assert client.delete(f"/v2/filters/{private['id']}", headers=h).status_code == 204
    orphan = ok(client.get(url, headers=h))
    assert orphan["filter"] is None
    assert ok(client.get(f"{url}/issues", headers=h))["filter_visible"] is False
    assert client.get(url, headers=member.headers).status_code == 404
