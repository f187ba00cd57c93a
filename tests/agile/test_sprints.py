"""Sprints end to end on both backends: create, edit, start (one active sprint per board unless
parallel sprints are allowed), complete (open issues to the backlog or the next sprint, closed
sprints immutable), the scope record, and JQL's sprint functions returning the real sprints."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.boards import add_to_sprint, error, new_board, new_issue, new_sprint, ok
from tests.factories.outbox import events
from tests.support import OrgHandle, make_user


def search_keys(client: TestClient, headers: dict, jql: str) -> list[str]:
    found = ok(client.post("/v2/search", json={"jql": jql + " ORDER BY key", "max_results": 100}, headers=headers))
    return [issue["key"] for issue in found["issues"]]


def finish(client: TestClient, headers: dict, issue: dict) -> None:
    for transition in ("11", "51"):
        ok(client.post(f"/v2/issues/{issue['id']}/transitions/{transition}", json={}, headers=headers))


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


def scope(client: TestClient, headers: dict, sprint: dict) -> list[tuple[Any, ...]]:
    record = ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=headers))
    return [(c["issue_key"], c["change"], c["from_estimate"], c["to_estimate"]) for c in record["changes"]]


def test_scope_changes_after_the_start_are_recorded_from_any_path(client: TestClient, org: OrgHandle,
                                                                  project: dict) -> None:
    h = org.headers
    board = new_board(client, h, project)
    sprint = new_sprint(client, h, board)
    a, b, c, d = (new_issue(client, h, project, name, custom_fields={"story_points": points})
                  for name, points in (("A", 3), ("B", 5), ("C", 2), ("D", 1)))
    add_to_sprint(client, h, sprint, a, b)
    ok(client.put(f"/v2/issues/{a['id']}", json={"custom_fields": {"story_points": 4}}, headers=h))  # before start
    ok(client.post(f"/v2/sprints/{sprint['id']}/start", headers=h))
    add_to_sprint(client, h, sprint, c)  # through the sprint endpoint
    ok(client.put(f"/v2/issues/{d['id']}", json={"custom_fields": {"sprint": sprint["id"], "story_points": 8}},
                  headers=h))  # a plain edit: joins with its new estimate
    ok(client.put(f"/v2/issues/{a['id']}", json={"custom_fields": {"story_points": 6}}, headers=h))
    assert client.delete(f"/v2/sprints/{sprint['id']}/issues/{b['id']}", headers=h).status_code == 204
    ok(client.put(f"/v2/issues/{b['id']}", json={"custom_fields": {"story_points": 13}}, headers=h))  # not in it now
    assert client.delete(f"/v2/sprints/{sprint['id']}/issues/{b['id']}", headers=h).status_code == 404
    expected = [(a["key"], "committed", None, 4.0), (b["key"], "committed", None, 5.0), (c["key"], "added", None, 2.0),
                (d["key"], "added", None, 8.0), (a["key"], "estimate", 4.0, 6.0), (b["key"], "removed", 5.0, None)]
    assert scope(client, h, sprint) == expected
    assert scope(client, h, sprint) == expected  # reading again derives nothing new
    finish(client, h, c)
    ok(client.post(f"/v2/sprints/{sprint['id']}/complete", headers=h))
    ok(client.put(f"/v2/issues/{a['id']}", json={"custom_fields": {"story_points": 1}}, headers=h))  # after it
    record = ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=h))
    tail = [(x["issue_key"], x["change"], x["to_estimate"], x["status_category"]) for x in record["changes"][6:]]
    assert tail == [(a["key"], "incomplete", 6.0, "todo"), (c["key"], "completed", 2.0, "done"),
                    (d["key"], "incomplete", 8.0, "todo")]
    assert record["totals"] == {"committed": {"count": 2, "estimate": 9.0}, "added": {"count": 2, "estimate": 10.0},
                                "estimate": {"count": 1, "estimate": 2.0}, "removed": {"count": 1, "estimate": 5.0},
                                "completed": {"count": 1, "estimate": 2.0},
                                "incomplete": {"count": 2, "estimate": 14.0}}


def sprint_of(client: TestClient, headers: dict, issue: dict) -> int | None:
    found = ok(client.get(f"/v2/issues/{issue['id']}", headers=headers))["custom_fields"].get("sprint")
    return found["id"] if found else None


def test_subtasks_follow_their_parent(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    board = new_board(client, h, project, name="Parents")
    first, second = new_sprint(client, h, board), new_sprint(client, h, board)
    parent, finished_parent, loner = (new_issue(client, h, project, name) for name in ("Parent", "Done parent",
                                                                                        "Loner"))
    subtask = {name: new_issue(client, h, project, name, issue_type="Sub-task", parent_id=parent["key"])
               for name in ("open", "done", "closed early")}
    finished_subtask = new_issue(client, h, project, "Open under a done parent", issue_type="Sub-task",
                                 parent_id=finished_parent["key"])
    finish(client, h, subtask["closed early"])
    # Adding a parent brings its open sub-tasks (not the finished one), after the issues given.
    added = add_to_sprint(client, h, first, parent, finished_parent, loner)
    assert [i["key"] for i in added["issues"]] == [parent["key"], finished_parent["key"], loner["key"],
                                                   subtask["open"]["key"], subtask["done"]["key"],
                                                   finished_subtask["key"]]
    assert sprint_of(client, h, subtask["closed early"]) is None
    assert search_keys(client, h, f"sprint = {first['id']}") == sorted(
        [parent["key"], finished_parent["key"], loner["key"], subtask["open"]["key"], subtask["done"]["key"],
         finished_subtask["key"]])
    # Back to the backlog: the parent's open sub-tasks in the sprint go too; then in again.
    ok(client.delete(f"/v2/sprints/{first['id']}/issues/{parent['id']}", headers=h), 204)
    assert [sprint_of(client, h, i) for i in (parent, subtask["open"], subtask["done"], loner)] == [
        None, None, None, first["id"]]
    add_to_sprint(client, h, first, parent)
    ok(client.post(f"/v2/sprints/{first['id']}/start", json={}, headers=h))
    finish(client, h, subtask["done"])
    finish(client, h, finished_parent)
    finish(client, h, loner)
    completed = ok(client.post(f"/v2/sprints/{first['id']}/complete", json={"move_open_issues_to": second["id"]},
                               headers=h))
    # The unfinished parent moves with all its sub-tasks in the sprint, the finished one too; an open
    # sub-task of a finished parent is unfinished, so it moves as well.
    assert completed["incomplete_issue_ids"] == sorted([parent["id"], subtask["open"]["id"], finished_subtask["id"]])
    assert completed["moved_issue_ids"] == sorted([parent["id"], subtask["open"]["id"], subtask["done"]["id"],
                                                   finished_subtask["id"]])
    assert [sprint_of(client, h, i) for i in (parent, subtask["open"], subtask["done"], finished_subtask)] == \
        [second["id"]] * 4
    assert [sprint_of(client, h, i) for i in (finished_parent, loner, subtask["closed early"])] == [
        first["id"], first["id"], None]
