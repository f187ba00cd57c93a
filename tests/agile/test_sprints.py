"""Sprints end to end on both backends: create, edit, start (one active sprint per board unless
parallel sprints are allowed), complete (open issues to the backlog or the next sprint, closed
sprints immutable), and JQL's sprint functions returning the real sprints."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.boards import add_to_sprint, error, finish, new_board, new_issue, new_sprint, ok, search_keys
from tests.factories.outbox import events
from tests.support import OrgHandle, make_user


def test_sprint_lifecycle(client: TestClient, database_url: str, org: OrgHandle, project: dict) -> None:
    h = org.headers
    kanban = new_board(client, h, project, type="kanban", name="Flow")
    assert error(client.post(f"/v2/boards/{kanban['id']}/sprints", json={}, headers=h), 400)["code"] == \
        "not_a_scrum_board"
    board = new_board(client, h, project, name="Team")
    first = new_sprint(client, h, board)
    assert first["name"] == "Team Sprint 1" and first["state"] == "future" and first["board_id"] == board["id"]
    second = new_sprint(client, h, board, name="Sprint Two", goal="Later", start_at="2030-01-06T09:00:00Z",
                        end_at="2030-01-20T17:00:00Z")
    assert second["start_at"] == "2030-01-06T09:00:00Z"
    assert error(client.post(f"/v2/boards/{board['id']}/sprints", json={
        "start_at": "2030-01-06T09:00:00Z", "end_at": "2030-01-01T09:00:00Z"}, headers=h), 400)["field"] == "end_at"
    renamed = ok(client.put(f"/v2/sprints/{first['id']}", json={"name": "Sprint One", "goal": "Checkout"}, headers=h))
    assert (renamed["name"], renamed["goal"]) == ("Sprint One", "Checkout")
    viewer = make_user(database_url, org, role="viewer")
    assert client.post(f"/v2/sprints/{first['id']}/start", json={}, headers=viewer.headers).status_code == 403
    assert client.post(f"/v2/boards/{board['id']}/sprints", json={}, headers=viewer.headers).status_code == 403
    assert ok(client.get(f"/v2/sprints/{first['id']}", headers=viewer.headers))["name"] == "Sprint One"

    done, open_one, open_two = (new_issue(client, h, project, name) for name in ("Done", "Open 1", "Open 2"))
    planned = new_issue(client, h, project, "Planned")
    add_to_sprint(client, h, first, done, open_one, open_two)
    add_to_sprint(client, h, second, planned)
    assert search_keys(client, h, "sprint in futureSprints()") == [done["key"], open_one["key"], open_two["key"],
                                                                   planned["key"]]
    started = ok(client.post(f"/v2/sprints/{first['id']}/start", json={"goal": "Ship checkout",
                                                                       "end_at": "2031-01-01T00:00:00Z"}, headers=h))
    assert started["state"] == "active" and started["goal"] == "Ship checkout" and started["activated_at"]
    assert started["end_at"] == "2031-01-01T00:00:00Z"
    assert error(client.post(f"/v2/sprints/{first['id']}/start", json={}, headers=h), 409)["code"] == \
        "sprint_not_future"
    busy = error(client.post(f"/v2/sprints/{second['id']}/start", json={}, headers=h), 409)
    assert busy["code"] == "sprint_already_active" and busy["active_sprint_id"] == first["id"]
    assert search_keys(client, h, "sprint in openSprints()") == [done["key"], open_one["key"], open_two["key"]]
    assert search_keys(client, h, 'sprint = "Sprint Two"') == [planned["key"]]
    assert search_keys(client, h, f"sprint = {first['id']}") == [done["key"], open_one["key"], open_two["key"]]

    ok(client.put(f"/v2/boards/{board['id']}", json={"allow_parallel_sprints": True}, headers=h))
    ok(client.post(f"/v2/sprints/{second['id']}/start", json={}, headers=h))
    finish(client, h, done)
    assert error(client.post(f"/v2/sprints/{first['id']}/complete", json={"move_open_issues_to": first["id"]},
                             headers=h), 400)["field"] == "move_open_issues_to"
    assert error(client.post(f"/v2/sprints/{first['id']}/complete", json={"move_open_issues_to": 987654321},
                             headers=h), 400)["field"] == "move_open_issues_to"
    completed = ok(client.post(f"/v2/sprints/{first['id']}/complete", json={"move_open_issues_to": second["id"]},
                               headers=h))
    assert completed["sprint"]["state"] == "closed" and completed["sprint"]["completed_at"]
    assert completed["completed_issue_ids"] == [done["id"]] and completed["moved_to"] == second["id"]
    assert completed["incomplete_issue_ids"] == [open_one["id"], open_two["id"]]
    assert search_keys(client, h, "sprint in closedSprints()") == [done["key"]]
    assert search_keys(client, h, "sprint in openSprints()") == [open_one["key"], open_two["key"], planned["key"]]
    history = ok(client.get(f"/v2/issues/{open_one['id']}/changelog", headers=h))["histories"]
    # (The item's from_string shows the sprint's id: the issues' history describer does not look up sprint names.)
    assert [(i["field"], i["from"], i["to"], i["to_string"]) for i in history[-1]["items"]] == \
        [("Sprint", str(first["id"]), str(second["id"]), "Sprint Two")]

    # A closed sprint never changes again.
    closed = f"/v2/sprints/{first['id']}"
    for method, url, body in (("PUT", closed, {"name": "Again"}), ("POST", f"{closed}/start", {}),
                              ("POST", f"{closed}/complete", {}), ("POST", f"{closed}/issues", {"issues": [planned["key"]]}),
                              ("DELETE", f"{closed}/issues/{done['id']}", None)):
        response = client.request(method, url, json=body, headers=h)
        assert response.status_code == 409, (method, url, response.text)
    # The rest of the second sprint goes to the backlog.
    finish(client, h, planned)
    outcome = ok(client.post(f"/v2/sprints/{second['id']}/complete", headers=h))
    assert outcome["moved_to"] == "backlog" and outcome["completed_issue_ids"] == [planned["id"]]
    assert search_keys(client, h, "sprint is EMPTY") == [open_one["key"], open_two["key"]]
    listed = ok(client.get(f"/v2/boards/{board['id']}/sprints", params={"state": ["closed"]}, headers=h))["sprints"]
    assert [s["id"] for s in listed] == [first["id"], second["id"]]
    kinds = [(e["event_type"], e["aggregate_id"]) for e in events(database_url, org, "sprint_started",
                                                                     "sprint_completed")]
    assert kinds == [("sprint_started", first["id"]), ("sprint_started", second["id"]),
                     ("sprint_completed", first["id"]), ("sprint_completed", second["id"])]
