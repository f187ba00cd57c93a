"""The board page: columns with their cards and WIP state, quick filters, swimlanes, and moving a
card with the form (which runs the workflow transition, and needs the CSRF token)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle


def test_the_board_page_shows_columns_and_moves_cards(web: TestClient, csrf: str, org: OrgHandle,
                                                      project: dict) -> None:
    h = org.headers
    issues = [web.post("/v2/issues", headers=h, json={"project_id": project["id"], "issue_type": "Story",
                                                      "summary": f"Story {n}", "priority": "High" if n else "Low"}
                       ).json() for n in range(3)]
    board = web.post("/v2/boards", headers=h, json={
        "name": "Web board", "type": "kanban", "project_id": project["id"],
        "columns": [{"name": "Queue", "status_ids": ["To Do"], "max": 2},
                    {"name": "Doing", "status_ids": ["In Progress"]}, {"name": "Done", "status_ids": ["Done"]}],
        "quick_filters": [{"name": "Urgent", "jql": "priority = High"}]}).json()
    listing = web.get("/boards")
    assert listing.status_code == 200 and f'href="/boards/{board["id"]}"' in listing.text
    page = web.get(f"/boards/{board['id']}")
    assert page.status_code == 200
    for issue in issues:
        assert f'id="card-{issue["key"]}"' in page.text
    assert 'data-wip="max"' in page.text and "over the limit" in page.text
    filtered = web.get(f"/boards/{board['id']}", params={"quick_filter": "1"})
    assert f'id="card-{issues[0]["key"]}"' not in filtered.text and f'id="card-{issues[1]["key"]}"' in filtered.text

    key = issues[0]["key"]
    refused = web.post(f"/boards/{board['id']}/cards/{key}/move", data={"column": "1"})
    assert refused.status_code == 403
    moved = web.post(f"/boards/{board['id']}/cards/{key}/move", follow_redirects=False,
                     data={"csrf_token": csrf, "column": "1", "back": f"/boards/{board['id']}?quick_filter=1"})
    assert moved.status_code == 303 and moved.headers["location"] == f"/boards/{board['id']}?quick_filter=1"
    assert web.get(f"/v2/issues/{key}", headers=h).json()["status"]["name"] == "In Progress"
    back = web.post(f"/boards/{board['id']}/cards/{key}/move", follow_redirects=False,
                    data={"csrf_token": csrf, "column": "Queue", "back": "https://elsewhere.example/"})
    assert back.status_code == 303 and back.headers["location"] == f"/boards/{board['id']}"  # never off-site
    assert web.get(f"/v2/issues/{key}", headers=h).json()["status"]["name"] == "To Do"
    straight = web.post(f"/boards/{board['id']}/cards/{key}/move", data={"csrf_token": csrf, "column": "2"})
    assert straight.status_code == 200  # the default workflow leads anywhere, To Do to Done too
    assert web.get(f"/v2/issues/{key}", headers=h).json()["status"]["name"] == "Done"
    assert web.get(f"/boards/{board['id']}", follow_redirects=False).status_code == 200
    assert web.get("/boards/987654321").status_code == 404
