"""The create-issue form: its choices, an issue made through it, and errors shown with the input kept."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle


def test_create_form_renders_choices(web: TestClient, csrf: str, project: dict) -> None:
    page = web.get("/issues/new", params={"project": "proj"})
    assert page.status_code == 200
    assert '<option value="PROJ" selected>' in page.text
    assert '<option value="Bug"' in page.text
    assert '<option value="Medium" selected>' in page.text
    assert "Sub-task" not in page.text


def test_create_issue_through_the_form(web: TestClient, csrf: str, org: OrgHandle, project: dict) -> None:
    response = web.post("/issues/new", follow_redirects=False, data={
        "csrf_token": csrf, "project": "PROJ", "issue_type": "Bug", "summary": "Login button misaligned",
        "description": "On small screens", "priority": "Highest", "assignee": str(org.admin_user_id),
        "labels": "ui, mobile  css"})
    assert response.status_code == 303
    key = response.headers["location"].rsplit("/", 1)[1]
    created = web.get(f"/v2/issues/{key}", headers=org.headers).json()
    assert created["summary"] == "Login button misaligned"
    assert created["issue_type"]["name"] == "Bug"
    assert created["priority"]["name"] == "Highest"
    assert created["assignee"]["id"] == org.admin_user_id
    assert created["labels"] == ["css", "mobile", "ui"]
    assert "Login button misaligned" in web.get(f"/browse/{key}").text


def test_create_form_shows_errors_and_keeps_input(web: TestClient, csrf: str, project: dict) -> None:
    response = web.post("/issues/new", data={"csrf_token": csrf, "project": "PROJ", "issue_type": "Bug",
                                             "summary": "  ", "description": "kept text"})
    assert response.status_code == 400
    assert "A summary is required" in response.text
    assert "kept text" in response.text
    unknown = web.post("/issues/new", data={"csrf_token": csrf, "project": "NOPE", "issue_type": "Bug",
                                            "summary": "x"})
    assert unknown.status_code == 400
    assert "does not exist" in unknown.text
