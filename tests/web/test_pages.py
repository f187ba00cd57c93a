"""The pages render real data: project list, issue list with filters and paging, issue view."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import open_session
from tests.support import OrgHandle


def test_project_list(web: TestClient, csrf: str, project: dict) -> None:
    page = web.get("/projects")
    assert page.status_code == 200
    assert 'href="/projects/PROJ"' in page.text
    assert "Project" in page.text
    assert "/static/htmx.min.js" in page.text


def test_issue_list_shows_the_issue_row(web: TestClient, csrf: str, issue: dict) -> None:
    page = web.get("/projects/PROJ")
    assert page.status_code == 200
    assert issue["key"] in page.text
    assert "Checkout fails on Safari" in page.text
    assert 'class="lozenge lozenge-todo"' in page.text
    assert "High" in page.text
    assert "1–1 of 1" in page.text


def test_issue_list_filters(web: TestClient, csrf: str, org: OrgHandle, issue: dict) -> None:
    assert "Checkout fails" in web.get("/projects/PROJ", params={"q": "SAFARI"}).text
    assert "No issues match." in web.get("/projects/PROJ", params={"q": "nothing like it"}).text
    assert "No issues match." in web.get("/projects/PROJ", params={"category": "done"}).text
    assert "Checkout fails" in web.get("/projects/PROJ", params={"category": "todo"}).text
    assert "Checkout fails" in web.get("/projects/PROJ", params={"assignee": "unassigned"}).text
    assert "No issues match." in web.get("/projects/PROJ", params={"assignee": "me"}).text


def test_issue_list_partial_for_htmx(web: TestClient, csrf: str, issue: dict) -> None:
    page = web.get("/projects/PROJ", params={"q": "checkout"},
                   headers={"HX-Request": "true", "HX-Target": "issue-table"})
    assert page.text.startswith('<div id="issue-table">')
    assert "<html" not in page.text


def test_issue_list_pages(web: TestClient, csrf: str, org: OrgHandle, project: dict) -> None:
    for n in range(27):
        response = web.post("/v2/issues", headers=org.headers,
                            json={"project_id": "PROJ", "issue_type": "Task", "summary": f"Task {n}"})
        assert response.status_code == 201
    first = web.get("/projects/PROJ")
    assert "1–25 of 27" in first.text
    assert "Page 1 of 2" in first.text
    second = web.get("/projects/PROJ", params={"page": "2"})
    assert "26–27 of 27" in second.text
    assert "PROJ-1<" in second.text
    assert web.get("/projects/PROJ", params={"page": "abc"}).status_code == 200


def test_issue_view_shows_every_part(web: TestClient, csrf: str, org: OrgHandle, issue: dict) -> None:
    child = web.post("/v2/issues", headers=org.headers, json={
        "project_id": "PROJ", "issue_type": "Sub-task", "summary": "Fix the form", "parent_id": issue["key"]})
    assert child.status_code == 201, child.text
    web.post(f"/v2/issues/{issue['id']}/comments", headers=org.headers, json={"body": "Seen on iOS too"})
    page = web.get(f"/browse/{issue['key']}")
    assert page.status_code == 200
    text = page.text
    for expected in ("Checkout fails on Safari", "Steps:\n1. open checkout", "payments", "High", "Story",
                     "Fix the form", "Seen on iOS too", "In Review", "Won&#39;t Do",
                     f'id="issue-version" name="version" value="{issue["version"]}"'):
        assert expected in text, expected
    child_page = web.get(f"/browse/{child.json()['key']}")
    assert f'href="/browse/{issue["key"]}"' in child_page.text


def test_history_tab(web: TestClient, csrf: str, org: OrgHandle, issue: dict) -> None:
    web.put(f"/v2/issues/{issue['id']}", headers=org.headers, json={"summary": "Checkout fails everywhere"})
    page = web.get(f"/browse/{issue['key']}", params={"tab": "history"})
    assert "Checkout fails on Safari" in page.text  # the old value, in the history
    tab = web.get(f"/browse/{issue['key']}/activity", params={"tab": "history"}, headers={"HX-Request": "true"})
    assert tab.text.startswith('<section id="activity"')
    assert "Checkout fails everywhere" in tab.text


def test_another_organizations_issue_is_a_404_page(web: TestClient, database_url: str, org: OrgHandle,
                                                   other_org: OrgHandle, issue: dict) -> None:
    open_session(web, database_url, other_org)
    page = web.get(f"/browse/{issue['key']}")
    assert page.status_code == 404
    assert "Issue does not exist or you do not have permission to see it." in page.text
    assert "Traceback" not in page.text
    assert "Checkout fails" not in page.text
    assert web.get("/projects/PROJ").status_code == 404
    assert web.get(f"/browse/{issue['key']}/fields/summary/edit").status_code == 404
