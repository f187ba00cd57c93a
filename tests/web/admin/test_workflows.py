"""/admin/workflows: the workflows, which one each project's issue types use, and one
workflow's SVG diagram (a 15-status workflow stays in three readable columns)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories.web import open_session, sign_in_as
from tests.support import OrgHandle, make_user

CATEGORIES = ("todo", "in_progress", "done")


def _big_workflow() -> dict:
    statuses = [{"name": f"Stage {n:02d}", "category": CATEGORIES[min(2, n // 5)]} for n in range(15)]
    transitions = [{"id": f"t{n}", "name": f"Advance {n:02d}", "from": [f"Stage {n:02d}"], "to": f"Stage {n + 1:02d}"}
                   for n in range(14)]
    transitions.append({"id": "back", "name": "Reopen", "from": ["Stage 14"], "to": "Stage 00"})
    transitions.append({"id": "any", "name": "Abandon", "from": [], "to": "Stage 14"})
    return {"name": "Fifteen steps", "statuses": statuses, "initial_status": "Stage 00", "transitions": transitions}


def test_list_and_usage(web: TestClient, csrf: str, org: OrgHandle) -> None:
    empty = web.get("/admin/workflows")
    assert empty.status_code == 200 and "No projects yet." in empty.text
    web.post("/v2/projects", headers=org.headers, json={"key": "FLOW", "name": "Flow"})
    page = web.get("/admin/workflows")
    assert 'id="project-workflows"' in page.text and "/admin/projects/FLOW" in page.text
    assert "Bug" in page.text and "Default" in page.text
    only = web.get("/admin/workflows?project=flow")
    assert only.status_code == 200 and "By project: FLOW" in only.text


def test_the_diagram(web: TestClient, csrf: str, org: OrgHandle) -> None:
    created = web.post("/v2/workflows", headers=org.headers, json=_big_workflow())
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    page = web.get(f"/admin/workflows/{key}")
    assert page.status_code == 200
    svg = page.text[page.text.index("<svg"):page.text.index("</svg>")]
    assert svg.count('class="wf-status') == 15
    assert svg.count('class="wf-status wf-todo"') == 5 and svg.count('class="wf-status wf-done"') == 5
    assert svg.count('<g class="wf-edge') == 16 and "any → Abandon" in svg and 'class="wf-edge wf-any"' in svg
    assert 'class="wf-initial"' in svg and "TO DO" in svg and "IN PROGRESS" in svg
    width, height = (int(v) for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())  # type: ignore[union-attr]
    assert width < 1100 and height < 450  # three columns of five, not one long row
    assert page.text.count("<tr><td>") >= 16  # the transitions table
    assert web.get("/admin/workflows/no_such_workflow").status_code == 404


def test_a_draft_is_shown_on_request(web: TestClient, csrf: str, org: OrgHandle) -> None:
    created = web.post("/v2/workflows", headers=org.headers, json={
        "name": "Small", "statuses": [{"name": "Open", "category": "todo"}, {"name": "Closed", "category": "done"}],
        "initial_status": "Open", "transitions": [{"id": "close", "name": "Close", "from": ["Open"], "to": "Closed"}]})
    key = created.json()["key"]
    draft = {"name": "Small", "statuses": [{"name": "Open", "category": "todo"},
                                           {"name": "Checking", "category": "in_progress"},
                                           {"name": "Closed", "category": "done"}],
             "initial_status": "Open", "transitions": [
                 {"id": "check", "name": "Check", "from": ["Open"], "to": "Checking"},
                 {"id": "close", "name": "Close", "from": ["Checking"], "to": "Closed"}]}
    saved = web.put(f"/v2/workflows/{key}", headers=org.headers, json=draft)
    assert saved.status_code in (200, 201), saved.text
    published = web.get(f"/admin/workflows/{key}")
    assert "Show the draft" in published.text and 'data-status="Checking"' not in published.text
    shown = web.get(f"/admin/workflows/{key}?draft=1")
    assert 'data-status="Checking"' in shown.text and "Published version" in shown.text


def test_edit_in_a_draft_then_publish(web: TestClient, csrf: str, org: OrgHandle) -> None:
    created = web.post("/v2/workflows", headers=org.headers, json={
        "name": "Editable", "statuses": [{"name": "Open", "category": "todo"}, {"name": "Closed", "category": "done"}],
        "initial_status": "Open", "transitions": [{"id": "close", "name": "Close", "from": ["Open"], "to": "Closed"}]})
    key = created.json()["key"]
    url = f"/admin/workflows/{key}"
    added = web.post(f"{url}/statuses", data={"csrf_token": csrf, "name": "Testing", "category": "in_progress",
                                              "from": "Open"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == f"{url}?draft=1&done=saved"
    draft = web.get(f"{url}?draft=1")
    assert 'data-status="Testing"' in draft.text and "Publish the draft" in draft.text
    assert web.get(f"/v2/workflows/{key}", headers=org.headers).json()["has_draft"] is True
    # The definition's own validation decides, and its message is shown at the form, the input kept.
    duplicate = web.post(f"{url}/statuses", data={"csrf_token": csrf, "name": "open", "category": "todo"})
    assert duplicate.status_code == 400 and "duplicated status" in duplicate.text and 'value="open"' in duplicate.text
    unknown = web.post(f"{url}/transitions", data={"csrf_token": csrf, "name": "Jump", "from": "Nowhere",
                                                   "to": "Closed"})
    assert unknown.status_code == 400 and "unknown status" in unknown.text and 'value="Jump"' in unknown.text
    nameless = web.post(f"{url}/transitions", data={"csrf_token": csrf, "name": "", "from": "Open", "to": "Testing"})
    assert nameless.status_code == 400 and "transitions" in nameless.text
    web.post(f"{url}/transitions", data={"csrf_token": csrf, "name": "Test it", "from": "", "to": "Closed"})
    published = web.post(f"{url}/publish", data={"csrf_token": csrf}, follow_redirects=False)
    assert published.status_code == 303
    definition = web.get(f"/v2/workflows/{key}", headers=org.headers).json()["definition"]
    assert [s["name"] for s in definition["statuses"]] == ["Open", "Closed", "Testing"]
    transitions = {t["id"]: t for t in definition["transitions"]}
    assert transitions["testing"]["from"] == ["Open"] and transitions["test_it"]["from"] == []
    nothing = web.post(f"{url}/publish", data={"csrf_token": csrf})
    assert nothing.status_code == 400 and "The workflow has no draft to publish." in nothing.text
    web.post(f"{url}/statuses", data={"csrf_token": csrf, "name": "Later", "category": "done"})
    web.post(f"{url}/discard", data={"csrf_token": csrf})
    assert web.get(f"/v2/workflows/{key}", headers=org.headers).json()["has_draft"] is False


def test_members_and_other_organizations_are_kept_out(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                      database_url: str) -> None:
    theirs = web.post("/v2/workflows", headers=other_org.headers, json={
        "name": "Theirs only", "statuses": [{"name": "Open", "category": "todo"}], "initial_status": "Open"}).json()
    csrf = open_session(web, database_url, org)
    assert web.get(f"/admin/workflows/{theirs['id']}").status_code == 404
    assert web.get("/admin/workflows/theirs_only").status_code == 404
    for action in ("statuses", "transitions", "publish", "discard"):
        assert web.post(f"/admin/workflows/{theirs['id']}/{action}",
                        data={"csrf_token": csrf, "name": "X", "category": "todo"}).status_code == 404, action
    assert "Theirs only" not in web.get("/admin/workflows").text
    sign_in_as(web, database_url, make_user(database_url, org, role="member"))
    assert web.get("/admin/workflows/default").status_code == 403
