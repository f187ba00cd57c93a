"""The endpoints behind the board's drag and drop and the backlog page, as the browser scripts
call them (HTMX-style requests with the CSRF header): a card move answers JSON, or the
transition's screen as a dialog first; refusals answer the reason; the backlog lists page
through "load more"; sprints are created, edited, started and completed through the forms."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tessera.web import backlog as backlog_page
from tests.agile.test_card_moves import REVIEWED
from tests.factories.boards import add_to_sprint, backlog_keys, columns, new_board, new_issue, new_sprint, ok
from tests.factories.live import receive_event, stream
from tests.factories.web import open_session
from tests.support import OrgHandle


def script(web: TestClient, csrf: str, url: str, **form: Any) -> Any:
    """A post as static/board.js and backlog.js send it."""
    return web.post(url, data=form, headers={"HX-Request": "true", "X-CSRF-Token": csrf})


def test_a_scripted_card_move_answers_json_ranks_and_opens_the_screen(web: TestClient, csrf: str, org: OrgHandle,
                                                                     project: dict) -> None:
    h = org.headers
    ok(web.post("/v2/workflows", json={**REVIEWED, "transitions": [
        {**t, "conditions": []} for t in REVIEWED["transitions"]]}, headers=h), 201)
    board = new_board(web, h, project, type="kanban", columns=[
        {"name": "Todo", "status_ids": ["Open"]}, {"name": "Doing", "status_ids": ["Active"]},
        {"name": "Checking", "status_ids": ["Checking"]}, {"name": "Elsewhere", "status_ids": ["Won't Do"]}])
    a, b, c = (new_issue(web, h, project, name, workflow_id="reviewed") for name in ("A", "B", "C"))
    url = f"/boards/{board['id']}/cards"

    moved = script(web, csrf, f"{url}/{a['key']}/move", column="1")
    assert moved.status_code == 200 and moved.json()["status"]["name"] == "Active"
    ranked = script(web, csrf, f"{url}/{c['key']}/move", column="0", rank_before=b["key"])
    assert ranked.status_code == 200
    assert columns(web, h, board) == {"Todo": [c["key"], b["key"]], "Doing": [a["key"]], "Checking": [],
                                      "Elsewhere": []}

    # No transition leads there: the reason, which the script shows as it puts the card back.
    refused = script(web, csrf, f"{url}/{b['key']}/move", column="3")
    assert refused.status_code == 409 and "No transition" in refused.text and "Elsewhere" in refused.text
    assert script(web, csrf, f"{url}/{b['key']}/move", column="9").status_code == 400

    # A transition with a screen: the dialog first, nothing changed yet; then the move with its fields.
    screen = script(web, csrf, f"{url}/{a['key']}/move", column="2")
    assert screen.status_code == 200 and screen.headers["X-Tessera-Screen"] == "1"
    assert "<dialog" in screen.text and 'name="field.due_date"' in screen.text and 'name="field.labels"' in screen.text
    assert ok(web.get(f"/v2/issues/{a['key']}", headers=h))["status"]["name"] == "Active"
    missing = script(web, csrf, f"{url}/{a['key']}/move", column="2", screen="done")
    assert missing.status_code == 400 and "due_date" in missing.text  # the validator's message, for the dialog
    done = script(web, csrf, f"{url}/{a['key']}/move", column="2", screen="done",
                  **{"field.due_date": "2030-01-31", "field.labels": "ready reviewed"})
    assert done.status_code == 200 and done.json()["status"]["name"] == "Checking"
    assert ok(web.get(f"/v2/issues/{a['key']}", headers=h))["labels"] == ["ready", "reviewed"]

    # The script refreshes the columns alone; a move without the CSRF token is refused.
    body = web.get(f"/boards/{board['id']}", headers={"HX-Request": "true"})
    assert body.status_code == 200 and "<html" not in body.text and f'id="card-{a["key"]}"' in body.text
    assert web.post(f"{url}/{b['key']}/move", data={"column": "1"}, headers={"HX-Request": "true"}).status_code == 403


def test_backlog_planning_pages_moves_and_sprint_lifecycle(web: TestClient, csrf: str, org: OrgHandle, project: dict,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    h = org.headers
    monkeypatch.setattr(backlog_page, "PAGE", 2)
    board = new_board(web, h, project, name="Team")
    issues = [new_issue(web, h, project, f"Story {n}", custom_fields={"story_points": n + 1}) for n in range(5)]
    sprint = new_sprint(web, h, board, name="Sprint one")
    add_to_sprint(web, h, sprint, issues[0], issues[1], issues[2])
    page = web.get(f"/boards/{board['id']}/backlog")
    assert page.status_code == 200
    assert "3 issues · 6 points" in page.text  # every issue of the sprint counted, not only the first page
    assert page.text.count('class="plan-issue"') == 4  # two per list
    assert f"list={sprint['id']}&amp;start_at=2" in page.text and "Load more (1 more)" in page.text
    more = web.get(f"/boards/{board['id']}/backlog/issues", params={"list": "backlog", "start_at": "2"})
    assert more.status_code == 200 and more.text.count('class="plan-issue"') == 0  # the backlog has two
    more = web.get(f"/boards/{board['id']}/backlog/issues", params={"list": str(sprint["id"]), "start_at": "2"})
    assert f'id="plan-{issues[2]["key"]}"' in more.text and "Load more" not in more.text
    assert web.get(f"/boards/{board['id']}/backlog/issues", params={"start_at": "x"}).status_code == 400

    move = f"/boards/{board['id']}/backlog/move"
    assert script(web, csrf, move, issue=issues[3]["key"], to=str(sprint["id"]),
                  rank_before=issues[0]["key"]).status_code == 200
    sprint_keys = [i["key"] for i in ok(web.get(f"/v2/sprints/{sprint['id']}/issues", headers=h))["issues"]]
    assert sprint_keys[:2] == [issues[3]["key"], issues[0]["key"]]
    assert script(web, csrf, move, issue=issues[1]["key"], to="backlog", rank_before=issues[4]["key"]).status_code == 200
    assert backlog_keys(web, h, board) == [issues[1]["key"], issues[4]["key"]]
    assert script(web, csrf, move, issue=issues[4]["key"], to="987654").status_code == 404

    created = web.post(f"/boards/{board['id']}/sprints", data={"csrf_token": csrf, "name": "", "goal": "Next"},
                       follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == f"/boards/{board['id']}/backlog"
    later = ok(web.get(f"/v2/boards/{board['id']}/sprints", headers=h))["sprints"][-1]
    assert later["name"] == "Team Sprint 2" and later["goal"] == "Next"
    bad = web.post(f"/boards/{board['id']}/sprints/{sprint['id']}/edit", data={"csrf_token": csrf, "end_at": "soon"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    base = f"/boards/{board['id']}/sprints/{sprint['id']}"
    assert web.post(f"{base}/edit", data={"csrf_token": csrf, "name": "Sprint 1", "goal": "Ship"},
                    follow_redirects=False).status_code == 303
    assert web.post(f"{base}/start", data={"csrf_token": csrf, "start_at": "2030-01-01", "end_at": "2030-01-15"},
                    follow_redirects=False).status_code == 303
    started = ok(web.get(f"/v2/sprints/{sprint['id']}", headers=h))
    assert (started["state"], started["name"], started["goal"], started["end_at"]) == (
        "active", "Sprint 1", "Ship", "2030-01-15T00:00:00Z")
    assert web.post(f"/boards/{board['id']}/sprints/{later['id']}/start",
                    data={"csrf_token": csrf}).status_code == 409  # one active sprint per board
    assert web.post(f"{base}/complete", data={"csrf_token": csrf, "move_open_issues_to": str(later["id"])},
                    follow_redirects=False).status_code == 303
    assert ok(web.get(f"/v2/sprints/{sprint['id']}", headers=h))["state"] == "closed"
    assert ok(web.get(f"/v2/sprints/{later['id']}/issues", headers=h))["total"] == 3
    assert web.post(f"{base}/rename", data={"csrf_token": csrf}).status_code == 404

    kanban = new_board(web, h, project, name="Flow", type="kanban")
    assert web.get(f"/boards/{kanban['id']}/backlog").status_code == 400


def test_another_organization_sees_no_board_or_sprint(web: TestClient, csrf: str, org: OrgHandle, project: dict,
                                                      other_org: OrgHandle, database_url: str) -> None:
    board = new_board(web, org.headers, project, name="Private")
    sprint = new_sprint(web, org.headers, board)
    issue = new_issue(web, org.headers, project, "Secret")
    other_csrf = open_session(web, database_url, other_org)
    assert web.get(f"/boards/{board['id']}/backlog").status_code == 404
    assert web.get(f"/boards/{board['id']}/backlog/issues", params={"list": str(sprint["id"])}).status_code == 404
    assert script(web, other_csrf, f"/boards/{board['id']}/backlog/move", issue=issue["key"],
                  to=str(sprint["id"])).status_code == 404
    assert script(web, other_csrf, f"/boards/{board['id']}/cards/{issue['key']}/move", column="1").status_code == 404
    assert web.post(f"/boards/{board['id']}/sprints/{sprint['id']}/start",
                    data={"csrf_token": other_csrf}).status_code == 404
    assert ok(web.get(f"/v2/sprints/{sprint['id']}", headers=org.headers))["state"] == "future"


def test_a_board_hears_rank_changes_on_the_project_stream(client: TestClient, org: OrgHandle, project: dict) -> None:
    """Others' moves within a column reach the board (static/board.js refreshes on them)."""
    first, second = (new_issue(client, org.headers, project, name) for name in ("First", "Second"))
    with stream(client, f"/v2/projects/{project['id']}/live", org.headers) as ws:
        ok(client.put(f"/v2/issues/{second['key']}/rank", json={"rank_before": first["key"]}, headers=org.headers))
        ranked = receive_event(ws)
    assert ranked["type"] == "issue_ranked"
    assert (ranked["data"]["issue_id"], ranked["data"]["rank_before"]) == (second["id"], first["id"])


def test_swimlanes_are_drop_targets_per_lane(web: TestClient, csrf: str, org: OrgHandle, project: dict) -> None:
    """Each lane has its own cells (a card is dragged across columns within its lane)."""
    h = org.headers
    board = new_board(web, h, project, type="kanban", swimlanes={"type": "assignee"})
    mine = new_issue(web, h, project, "Mine", assignee_id=org.admin_user_id)
    nobody = new_issue(web, h, project, "Nobody's")
    page = web.get(f"/boards/{board['id']}")
    assert page.status_code == 200
    lanes = page.text.split('data-lane="')[1:]
    assert [lane.split('"')[0] for lane in lanes] == [f"assignee:{org.admin_user_id}", "assignee:none"]
    assert f'id="card-{mine["key"]}"' in lanes[0] and f'id="card-{nobody["key"]}"' in lanes[1]
    assert lanes[0].count('data-column="') == len(board["columns"])
    moved = script(web, csrf, f"/boards/{board['id']}/cards/{mine['key']}/move", column="1")
    assert moved.status_code == 200 and moved.json()["status"]["name"] == "In Progress"
