"""Editing dashboards through the pages' forms on both backends: create, add and configure
gadgets (JQL, a saved filter or a board), move and remove them, rename and change the columns,
share and stop sharing, delete; bad values answer 400 with the editor, the message and the
values typed; stale forms 409; other people's dashboards 403 and other organizations' 404."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories.web import open_session, sign_in_as
from tests.support import OrgHandle, make_user


def _created(web: TestClient, csrf: str, name: str = "Team overview", columns: int = 2) -> int:
    response = web.post("/dashboards/new", data={"csrf_token": csrf, "name": name, "description": "Weekly",
                                                 "columns": str(columns)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/dashboards/(\d+)/edit", response.headers["location"])
    assert match is not None, response.headers["location"]
    return int(match.group(1))


def _stored(web: TestClient, org: OrgHandle, dashboard_id: int) -> dict:
    response = web.get(f"/v2/dashboards/{dashboard_id}", headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _post(web: TestClient, path: str, csrf: str, version: int, **fields: str):  # type: ignore[no-untyped-def]
    return web.post(path, data={"csrf_token": csrf, "version": str(version), **fields}, follow_redirects=False)


def _layout(web: TestClient, org: OrgHandle, dashboard_id: int) -> list[tuple[str, str, int, int]]:
    gadgets = _stored(web, org, dashboard_id)["layout"]["gadgets"]
    return [(g["title"], g["type"], g["column"], g["row"]) for g in sorted(gadgets, key=lambda g: (g["column"],
                                                                                                  g["row"]))]


def test_building_a_dashboard_through_the_forms(web: TestClient, csrf: str, org: OrgHandle, project: dict,
                                                issue: dict) -> None:
    h = org.headers
    board = web.post("/v2/boards", headers=h, json={"name": "Team board", "type": "scrum", "project_id": project["id"]})
    saved = web.post("/v2/filters", headers=h, json={"name": "All of PROJ", "jql": "project = PROJ"})
    assert board.status_code == 201 and saved.status_code == 201, board.text + saved.text
    dashboard_id = _created(web, csrf)
    base = f"/dashboards/{dashboard_id}"
    editor = web.get(f"{base}/edit?add=pie_chart")
    assert editor.status_code == 200 and 'id="new-gadget"' in editor.text and "All of PROJ" in editor.text
    assert 'name="field"' in editor.text and 'name="board_id"' not in editor.text

    version = _stored(web, org, dashboard_id)["version"]
    added = _post(web, f"{base}/gadgets", csrf, version, type="filter_results", title="Open work", column="1",
                  source="jql", jql="project = PROJ AND resolution = Unresolved", max_results="5")
    assert added.status_code == 303 and added.headers["location"] == f"{base}/edit"
    version += 1
    assert _post(web, f"{base}/gadgets", csrf, version, type="pie_chart", title="", column="2", source="filter",
                 filter_id=str(saved.json()["id"]), field="priority").status_code == 303
    version += 1
    assert _post(web, f"{base}/gadgets", csrf, version, type="velocity", title="Velocity", column="1",
                 board_id=str(board.json()["id"]), estimate="original_estimate", forecast="2").status_code == 303
    version += 1
    gadgets = _stored(web, org, dashboard_id)["layout"]["gadgets"]
    assert [(g["id"], g["title"], g["column"], g["row"]) for g in gadgets] == [
        ("g1", "Open work", 0, 0), ("g3", "Velocity", 0, 1), ("g2", "Pie chart", 1, 0)]
    assert gadgets[0]["config"] == {"jql": "project = PROJ AND resolution = Unresolved",
                                    "columns": ["key", "summary", "status", "assignee", "priority"], "max_results": 5}
    assert gadgets[2]["config"]["filter_id"] == saved.json()["id"] and gadgets[2]["config"]["field"] == "priority"
    assert gadgets[1]["config"]["estimate"] == "original_estimate" and gadgets[1]["config"]["forecast"] == 2

    prefilled = web.get(f"{base}/edit").text  # each gadget's form shows its settings
    assert ">project = PROJ AND resolution = Unresolved</textarea>" in prefilled
    assert 'name="field" value="priority"' in prefilled and 'name="forecast" value="2"' in prefilled
    # Configure: a new title and query; then move it right and up, remove the pie chart.
    assert _post(web, f"{base}/gadgets/g1", csrf, version, type="filter_results", title="Everything",
                 source="jql", jql="project = PROJ", columns="key, summary").status_code == 303
    version += 1
    assert _stored(web, org, dashboard_id)["layout"]["gadgets"][0]["config"]["columns"] == ["key", "summary"]
    assert _post(web, f"{base}/gadgets/g1/move", csrf, version, direction="right").status_code == 303
    version += 1
    assert _layout(web, org, dashboard_id) == [("Velocity", "velocity", 0, 0), ("Pie chart", "pie_chart", 1, 0),
                                               ("Everything", "filter_results", 1, 1)]
    assert _post(web, f"{base}/gadgets/g1/move", csrf, version, direction="up").status_code == 303
    version += 1
    assert _post(web, f"{base}/gadgets/g2/remove", csrf, version).status_code == 303
    version += 1
    assert _layout(web, org, dashboard_id) == [("Velocity", "velocity", 0, 0), ("Everything", "filter_results", 1, 0)]
    # One column: the second column's gadgets fold into it, in order.
    assert _post(web, f"{base}/details", csrf, version, name="Renamed", description="", columns="1").status_code == 303
    version += 1
    stored = _stored(web, org, dashboard_id)
    assert (stored["name"], stored["description"], stored["layout"]["columns"]) == ("Renamed", "", 1)
    assert _layout(web, org, dashboard_id) == [("Velocity", "velocity", 0, 0), ("Everything", "filter_results", 0, 1)]
    page = web.get(base)
    assert page.status_code == 200 and "<h2>Everything</h2>" in page.text and f'href="{base}/edit"' in page.text

    # HTMX: the editor comes back in place of a redirect.
    swapped = web.post(f"{base}/gadgets/g3/move", data={"csrf_token": csrf, "version": str(version),
                                                         "direction": "down"}, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and 'id="dashboard-editor"' in swapped.text
    assert _layout(web, org, dashboard_id)[0][0] == "Everything"


def test_bad_values_show_the_editor_with_the_message(web: TestClient, csrf: str, org: OrgHandle,
                                                    project: dict) -> None:
    dashboard_id = _created(web, csrf)
    base = f"/dashboards/{dashboard_id}"
    refused = _post(web, f"{base}/gadgets", csrf, 1, type="filter_results", title="Broken", column="1",
                    source="jql", jql="project = PROJ AND (")
    assert refused.status_code == 400 and 'id="dashboard-editor"' in refused.text
    assert 'aria-invalid="true" placeholder="project = WEB' in refused.text  # the JQL box is marked
    assert "project = PROJ AND (</textarea>" in refused.text  # and keeps what was typed
    for fields, message in (({"max_results": "lots"}, "Issues shown is a whole number."),
                            ({"max_results": "500"}, "max_results is a whole number from 1 to 100."),
                            ({"source": "filter"}, "Choose a saved filter")):
        response = _post(web, f"{base}/gadgets", csrf, 1, type="filter_results", column="1", jql="project = PROJ",
                         **{"source": "jql", **fields})
        assert response.status_code == 400 and message in response.text, response.text
    velocity = _post(web, f"{base}/gadgets", csrf, 1, type="velocity", column="1", board_id="987654")
    assert velocity.status_code == 400 and "The board &#39;987654&#39; does not exist." in velocity.text
    assert _post(web, f"{base}/gadgets", csrf, 1, type="mystery").status_code == 400
    assert _post(web, f"{base}/details", csrf, 1, name="  ", columns="2").status_code == 400
    assert _post(web, f"{base}/details", csrf, 1, name="Fine", columns="9").status_code == 400
    assert _post(web, f"{base}/gadgets/nope/move", csrf, 1, direction="up").status_code == 404
    assert _post(web, f"{base}/shares", csrf, 1, share_type="user", user_id="987654").status_code == 400
    assert _stored(web, org, dashboard_id)["layout"]["gadgets"] == []
    # A form rendered before someone else's change is refused, not applied over it.
    assert _post(web, f"{base}/details", csrf, 1, name="First", columns="2").status_code == 303
    stale = _post(web, f"{base}/details", csrf, 1, name="Second", columns="2")
    assert stale.status_code == 409 and _stored(web, org, dashboard_id)["name"] == "First"
    assert web.post(f"{base}/details", data={"name": "No token", "version": "2"},
                    follow_redirects=False).status_code == 403


def test_sharing_and_who_may_edit(web: TestClient, csrf: str, org: OrgHandle, other_org: OrgHandle, project: dict,
                                  database_url: str) -> None:
    dashboard_id = _created(web, csrf, name="Shared work")
    base = f"/dashboards/{dashboard_id}"
    member = make_user(database_url, org, role="member")
    assert _post(web, f"{base}/shares", csrf, 1, share_type="organization").status_code == 303
    assert _post(web, f"{base}/shares", csrf, 2, share_type="project", project_id=str(project["id"])).status_code == 303
    assert _post(web, f"{base}/shares", csrf, 3, share_type="organization").status_code == 400  # already
    shares = _stored(web, org, dashboard_id)["shares"]
    assert shares == [{"type": "organization"}, {"type": "project", "project_id": project["id"]}]
    assert "Everyone in the organization" in web.get(f"{base}/edit").text

    sign_in_as(web, database_url, member)
    assert "Shared work" in web.get("/dashboards").text and web.get(base).status_code == 200
    assert 'href="{}/edit"'.format(base) not in web.get(base).text
    assert web.get(f"{base}/edit").status_code == 403
    web.cookies.clear()

    csrf = open_session(web, database_url, org)
    assert _post(web, f"{base}/shares/0/remove", csrf, 3).status_code == 303
    assert _post(web, f"{base}/shares/5/remove", csrf, 4).status_code == 404
    assert _stored(web, org, dashboard_id)["shares"] == [{"type": "project", "project_id": project["id"]}]

    foreign = web.post("/v2/dashboards", headers=other_org.headers, json={"name": "Theirs"}).json()
    assert web.get(f"/dashboards/{foreign['id']}/edit").status_code == 404
    assert _post(web, f"/dashboards/{foreign['id']}/delete", csrf, 1).status_code == 404
    deleted = _post(web, f"{base}/delete", csrf, 4)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/dashboards"
    assert web.get(f"/v2/dashboards/{dashboard_id}", headers=org.headers).status_code == 404

