"""POST /v2/boards/{id}/issues/{issue_id}/move: a card moved to another column runs the workflow
transition leading there, with its conditions (403), validators (400, every failure) and
history, or answers 409 when none leads there; it can rank the card at the same time."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.boards import backlog_keys, error, new_board, new_issue, ok
from tests.factories.outbox import events
from tests.support import OrgHandle, make_user

REVIEWED: dict[str, Any] = {
    "name": "Reviewed",
    "statuses": [{"name": "Open", "category": "todo"}, {"name": "Active", "category": "in_progress"},
                 {"name": "Checking", "category": "in_progress"}, {"name": "Finished", "category": "done"}],
    "initial_status": "Open",
    "transitions": [
        {"id": "take", "name": "Take", "from": ["Open"], "to": "Active", "conditions": [{"type": "only_assignee"}]},
        {"id": "check", "name": "Send to check", "from": ["Active"], "to": "Checking", "screen": ["due_date", "labels"],
         "validators": [{"type": "field_required", "params": {"fields": ["due_date", "labels"]}}]},
        {"id": "finish", "name": "Finish", "from": ["Checking"], "to": "Finished"},
        {"id": "reopen", "name": "Reopen", "from": ["Finished"], "to": "Open"},
    ],
}


def move(client: TestClient, headers: dict, board: dict, issue: dict, **body: Any) -> Any:
    return client.post(f"/v2/boards/{board['id']}/issues/{issue['id']}/move", json=body, headers=headers)


def test_moving_a_card_runs_the_transition_with_its_rules(client: TestClient, database_url: str, org: OrgHandle,
                                                          project: dict) -> None:
    h = org.headers
    ok(client.post("/v2/workflows", json=REVIEWED, headers=h), 201)
    board = new_board(client, h, project, type="kanban", columns=[
        {"name": "Todo", "status_ids": ["Open"]}, {"name": "Doing", "status_ids": ["Active", "Checking"]},
        {"name": "Done", "status_ids": ["Finished"]}, {"name": "Elsewhere", "status_ids": ["Won't Do"]}])
    member = make_user(database_url, org, role="member")
    card = new_issue(client, h, project, "Card", workflow_id="reviewed", assignee_id=member.user_id)
    other = new_issue(client, h, project, "Other", workflow_id="reviewed")

    forbidden = error(move(client, h, board, card, column="Doing"), 403)  # only the assignee may take it
    assert forbidden["code"] == "transition_forbidden"
    moved = ok(move(client, member.headers, board, card, column="Doing"))
    assert moved["status"]["name"] == "Active" and moved["version"] == 2
    changelog = ok(client.get(f"/v2/issues/{card['id']}/changelog", headers=h))["histories"]
    assert [(i["field"], i["from_string"], i["to_string"]) for i in changelog[-1]["items"]] == \
        [("status", "Open", "Active")]
    assert events(database_url, org, "status_changed")[-1]["payload"]["transition"]["id"] == "take"

    # The status asked for: every failed validator at once, then with the screen's fields.
    invalid = error(move(client, member.headers, board, card, status_id="Checking"), 400)
    assert invalid["code"] == "transition_invalid"
    assert {(f["rule"], f["field"]) for f in invalid["failures"]} == {("field_required", "due_date"),
                                                                      ("field_required", "labels")}
    checked = ok(move(client, member.headers, board, card, status_id="Checking",
                      fields={"due_date": "2030-01-31", "labels": ["reviewed"]}, comment="Ready"))
    assert checked["status"]["name"] == "Checking"
    issue = ok(client.get(f"/v2/issues/{card['id']}", headers=h))
    assert issue["due_date"] == "2030-01-31" and issue["labels"] == ["reviewed"]

    no_way = error(move(client, h, board, card, column="Elsewhere"), 409)
    assert no_way["code"] == "no_transition"
    assert error(move(client, h, board, card, column="Todo"), 409)["code"] == "no_transition"  # no Checking → Open
    assert error(move(client, h, board, card, column="Doing", status_id="Finished"), 400)["field"] == "status_id"
    assert error(move(client, h, board, card, column="Nowhere"), 400)["field"] == "column"
    assert error(move(client, h, board, card), 400)["field"] == "column"

    # Into the Done column (by position), ranked before another card in the same request.
    done = ok(move(client, h, board, card, column=2, rank_before=other["key"]))
    assert done["status"]["name"] == "Finished" and done["rank"]
    # Within its column, only the rank changes.
    ok(move(client, h, board, other, column="Todo", rank_before=card["key"]))
    assert ok(client.get(f"/v2/issues/{other['id']}", headers=h))["version"] == 1
    assert backlog_keys(client, h, board) == [other["key"]]

    viewer = make_user(database_url, org, role="viewer")
    assert move(client, viewer.headers, board, other, column="Doing").status_code == 403
    elsewhere = ok(client.post("/v2/projects", json={"key": "ELSE", "name": "Elsewhere"}, headers=h), 201)
    stranger = new_issue(client, h, elsewhere, "Not on the board")
    assert error(move(client, h, board, stranger, column="Doing"), 400)["code"] == "not_on_board"
