"""The dashboard pages (the list, and a dashboard's gadgets drawn server-side) and a project's
reports page: charts inlined, CSV from the REST endpoint, other people's and other
organizations' dashboards and projects a 404 page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import open_session, sign_in_as
from tests.support import OrgHandle, make_user


def gadget(kind: str, title: str, column: int, row: int, **config: object) -> dict:
    return {"type": kind, "title": title, "column": column, "row": row, "config": config}


def test_a_dashboard_page_draws_every_gadget(web: TestClient, csrf: str, org: OrgHandle, project: dict,
                                             issue: dict, database_url: str) -> None:
    h = org.headers
    board = web.post("/v2/boards", headers=h, json={"name": "Team board", "type": "scrum",
                                                     "project_id": project["id"]})
    assert board.status_code == 201, board.text
    saved = web.post("/v2/filters", headers=h, json={"name": "Soon gone", "jql": "project = PROJ"})
    assert saved.status_code == 201, saved.text
    created = web.post("/v2/dashboards", headers=h, json={"name": "Team <overview>", "layout": {"columns": 2, "gadgets": [
        gadget("filter_results", "Open work", 0, 0, jql="project = PROJ"),
        gadget("pie_chart", "<b>By status</b>", 1, 0, jql="project = PROJ", field="status"),
        gadget("two_dimensional", "Status by priority", 0, 1, jql="project = PROJ", x_field="status",
               y_field="priority"),
        gadget("created_vs_resolved", "Created vs resolved", 1, 1, jql="project = PROJ"),
        gadget("velocity", "Team velocity", 0, 2, board_id=board.json()["id"]),
        gadget("sprint_burndown", "Burndown", 1, 2, board_id=board.json()["id"]),
        gadget("filter_results", "From a filter", 0, 3, filter_id=saved.json()["id"])]}})
    assert created.status_code == 201, created.text
    dashboard = created.json()
    assert web.delete(f"/v2/filters/{saved.json()['id']}", headers=h).status_code == 204

    listing = web.get("/dashboards")
    assert listing.status_code == 200 and f'href="/dashboards/{dashboard["id"]}"' in listing.text
    assert "Team &lt;overview&gt;" in listing.text and 'href="/dashboards" class="active"' in listing.text
    page = web.get(f"/dashboards/{dashboard['id']}")
    assert page.status_code == 200, page.text
    for title in ("Open work", "Status by priority", "Created vs resolved", "Team velocity", "Burndown"):
        assert f"<h2>{title}</h2>" in page.text
    assert f'<a href="/browse/{issue["key"]}">{issue["key"]}</a>' in page.text
    assert "<b>By status</b>" not in page.text and "&lt;b&gt;By status&lt;/b&gt;" in page.text
    assert page.text.count("<svg") == 3  # pie, created vs resolved, velocity; no started sprint to burn down
    assert "<?xml" not in page.text and "The board has no started sprint yet." in page.text
    assert "To Do" in page.text and "High" in page.text  # the statistics tables' labels
    assert "This gadget&#39;s filter does not exist or is not shared with you." in page.text  # an error, no 500


def test_dashboards_of_others_are_a_404_page(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                             project: dict, database_url: str) -> None:
    dashboard = web.post("/v2/dashboards", headers=org.headers, json={"name": "Private board", "layout": {
        "gadgets": [gadget("filter_results", "Mine only", 0, 0, jql="project = PROJ")]}}).json()
    viewer = make_user(database_url, org, role="viewer")
    sign_in_as(web, database_url, viewer)
    assert web.get("/dashboards").status_code == 200
    assert "Private board" not in web.get("/dashboards").text
    hidden = web.get(f"/dashboards/{dashboard['id']}")
    assert hidden.status_code == 404 and "Mine only" not in hidden.text
    assert web.get("/dashboards/not-a-number").status_code == 404
    web.put(f"/v2/dashboards/{dashboard['id']}", headers=org.headers, json={"shares": [{"type": "organization"}]})
    assert web.get(f"/dashboards/{dashboard['id']}").status_code == 200
    open_session(web, database_url, other_org)
    assert web.get(f"/dashboards/{dashboard['id']}").status_code == 404
    assert web.get("/projects/PROJ/reports").status_code == 404


def test_the_reports_page_shows_the_chosen_report(web: TestClient, csrf: str, project: dict, issue: dict) -> None:
    page = web.get("/projects/PROJ/reports")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and 'href="/projects/PROJ/reports" class="active"' in page.text
    csv_url = f'/v2/projects/{project["id"]}/reports/velocity?format=csv'
    assert f'href="{csv_url}"' in page.text
    download = web.get(csv_url)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    cycle = web.get("/projects/PROJ/reports", params={"report": "cycle-time"})
    assert cycle.status_code == 200 and "<svg" in cycle.text and "reports/cycle-time?format=csv" in cycle.text
    burndown = web.get("/projects/PROJ/reports", params={"report": "burndown"})
    assert burndown.status_code == 200 and "has no started sprint" in burndown.text and 'name="sprint"' in burndown.text
    for name in ("cumulative-flow", "created-vs-resolved", "control-chart", "time-in-status", "burnup"):
        assert web.get("/projects/PROJ/reports", params={"report": name}).status_code == 200
    assert web.get("/projects/NOPE/reports").status_code == 404
