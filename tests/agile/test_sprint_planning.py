"""Sub-tasks follow their parent into and out of sprints, as in Jira."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.boards import add_to_sprint, finish, new_board, new_issue, new_sprint, ok, search_keys
from tests.support import OrgHandle


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


def test_sprint_history_answers_was_and_changed(client: TestClient, org: OrgHandle, project: dict) -> None:
    """Sprint changes made here are the Sprint field's history: `sprint WAS` and `sprint CHANGED`
    answer from it, as for other fields (imported sprint changes: tests/importing/test_jira_live.py)."""
    h = org.headers
    board = new_board(client, h, project, name="History")
    first, second = new_sprint(client, h, board, name="Sprint one"), new_sprint(client, h, board, name="Sprint two")
    moved, stayed, never = (new_issue(client, h, project, name) for name in ("Moved", "Stayed", "Never"))
    add_to_sprint(client, h, first, moved, stayed)
    add_to_sprint(client, h, second, moved)
    assert search_keys(client, h, f"sprint = {first['id']}") == [stayed["key"]]
    assert search_keys(client, h, f"sprint WAS {first['id']}") == sorted([moved["key"], stayed["key"]])
    assert search_keys(client, h, '"sprint" WAS "Sprint one"') == sorted([moved["key"], stayed["key"]])
    assert search_keys(client, h, f"sprint WAS NOT {first['id']}") == [never["key"]]
    assert search_keys(client, h, f"sprint WAS IN ({first['id']}, {second['id']})") == sorted(
        [moved["key"], stayed["key"]])
    assert search_keys(client, h, "sprint CHANGED") == sorted([moved["key"], stayed["key"]])
    assert search_keys(client, h, f"sprint CHANGED FROM {first['id']} TO {second['id']}") == [moved["key"]]
    assert search_keys(client, h, f"sprint CHANGED TO {first['id']}") == sorted([moved["key"], stayed["key"]])
    assert search_keys(client, h, f"sprint CHANGED BY {org.admin_email}") == sorted([moved["key"], stayed["key"]])
    assert search_keys(client, h, "sprint CHANGED BEFORE 2000-01-01") == []
    assert search_keys(client, h, "sprint WAS EMPTY") == sorted([moved["key"], stayed["key"], never["key"]])
