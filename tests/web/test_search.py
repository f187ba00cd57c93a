"""The JQL search page: results, paging links, errors shown in place, favourite filters."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle


def test_search_page_runs_jql_and_shows_errors(web: TestClient, csrf: str, org: OrgHandle, project: dict,
                                               issue: dict) -> None:
    page = web.get("/search", params={"jql": f"project = {project['key']} ORDER BY key"})
    assert page.status_code == 200
    assert issue["key"] in page.text and 'class="jql-input"' in page.text
    default = web.get("/search")
    assert default.status_code == 200 and "assignee = currentUser()" in default.text
    broken = web.get("/search", params={"jql": "project = "})
    assert broken.status_code == 400
    assert "Expecting a value" in broken.text and "line 1, column" in broken.text
    unknown = web.get("/search", params={"jql": "project = NOPE"})
    assert unknown.status_code == 400 and "does not exist for the field" in unknown.text
    saved = web.post("/v2/filters", json={"name": "Everything here", "jql": f"project = {project['key']}",
                                         "favourite": True}, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 201, saved.text
    assert "Everything here" in web.get("/search").text


def test_search_page_never_shows_another_organizations_issues(web: TestClient, csrf: str, other_org: OrgHandle,
                                                              client: TestClient, issue: dict) -> None:
    theirs = client.post("/v2/projects", json={"key": "THEIRS", "name": "Theirs"}, headers=other_org.headers)
    assert theirs.status_code == 201
    made = client.post("/v2/issues", json={"project_id": "THEIRS", "issue_type": "Task", "summary": "Hidden"},
                       headers=other_org.headers)
    assert made.status_code == 201
    page = web.get("/search", params={"jql": "ORDER BY created DESC"})
    assert page.status_code == 200
    assert issue["key"] in page.text and "THEIRS-1" not in page.text
