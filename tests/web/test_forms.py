"""Every change made through the pages: create, transition, comment, inline edit; CSRF on each."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle

HTMX = {"HX-Request": "true"}


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


def test_changes_without_the_csrf_token_are_refused(web: TestClient, csrf: str, org: OrgHandle,
                                                    issue: dict) -> None:
    key = issue["key"]
    attempts = [
        ("/issues/new", {"project": "PROJ", "issue_type": "Bug", "summary": "forged"}),
        (f"/browse/{key}/comments", {"body": "forged"}),
        (f"/browse/{key}/transitions/11", {}),
        (f"/browse/{key}/fields/summary", {"value": "forged", "version": "1"}),
    ]
    for url, data in attempts:
        for token in (None, "wrong-token"):
            form = dict(data) if token is None else {**data, "csrf_token": token}
            response = web.post(url, data=form, follow_redirects=False)
            assert response.status_code == 403, url
            assert "did not come from Tessera" in response.text
    after = web.get(f"/v2/issues/{key}", headers=org.headers).json()
    assert after["version"] == issue["version"]
    assert after["summary"] == issue["summary"]
    assert web.get(f"/v2/issues/{key}/comments", headers=org.headers).json()["total"] == 0


def test_the_csrf_header_is_accepted_for_htmx(web: TestClient, csrf: str, issue: dict) -> None:
    response = web.post(f"/browse/{issue['key']}/comments", data={"body": "via header"},
                        headers={**HTMX, "X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert "via header" in response.text


def test_transition_and_comment(web: TestClient, csrf: str, org: OrgHandle, issue: dict) -> None:
    key = issue["key"]
    moved = web.post(f"/browse/{key}/transitions/11", data={"csrf_token": csrf, "version": str(issue["version"])},
                     follow_redirects=False)
    assert moved.status_code == 303
    page = web.get(f"/browse/{key}")
    assert 'lozenge lozenge-progress' in page.text
    assert "Submit for Review" in page.text
    stale = web.post(f"/browse/{key}/transitions/31", data={"csrf_token": csrf, "version": str(issue["version"])})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    comment = web.post(f"/browse/{key}/comments", data={"csrf_token": csrf, "body": "On it"}, follow_redirects=False)
    assert comment.status_code == 303
    assert "On it" in web.get(f"/browse/{key}").text
    empty = web.post(f"/browse/{key}/comments", data={"csrf_token": csrf, "body": " "}, headers=HTMX)
    assert empty.status_code == 400
    assert empty.headers["HX-Retarget"] == "#flash"
    assert "A comment needs a body." in empty.text


def test_a_transition_screen_asks_for_its_fields(web: TestClient, csrf: str, org: OrgHandle, issue: dict) -> None:
    key = issue["key"]
    assert web.post(f"/browse/{key}/transitions/11", data={"csrf_token": csrf, "version": str(issue["version"])},
                    follow_redirects=False).status_code == 303
    page = web.get(f"/browse/{key}").text
    assert 'class="transition-screen"' in page and 'name="field.resolution"' in page
    done = web.post(f"/browse/{key}/transitions/51", follow_redirects=False, data={
        "csrf_token": csrf, "version": str(issue["version"] + 1), "field.resolution": "Fixed",
        "comment": "Shipped in 1.2"})
    assert done.status_code == 303, done.text
    page = web.get(f"/browse/{key}").text
    assert "Resolution: Fixed" in page and "Shipped in 1.2" in page


def test_inline_edit_and_conflict(web: TestClient, csrf: str, org: OrgHandle, issue: dict) -> None:
    key, version = issue["key"], issue["version"]
    editor = web.get(f"/browse/{key}/fields/summary/edit", headers=HTMX)
    assert 'hx-include="#issue-version"' in editor.text
    saved = web.post(f"/browse/{key}/fields/summary", headers=HTMX,
                     data={"csrf_token": csrf, "value": "Checkout fails on iOS", "version": str(version)})
    assert saved.status_code == 200
    assert "Checkout fails on iOS" in saved.text
    assert f'value="{version + 1}" hx-swap-oob="true"' in saved.text
    stale = web.post(f"/browse/{key}/fields/summary", headers=HTMX,
                     data={"csrf_token": csrf, "value": "My stale edit", "version": str(version)})
    assert stale.status_code == 409
    assert "was changed by someone else while you were editing" in stale.text
    assert "My stale edit" in stale.text  # the user's text is kept in the editor
    assert web.get(f"/v2/issues/{key}", headers=org.headers).json()["summary"] == "Checkout fails on iOS"


def test_inline_edit_each_field(web: TestClient, csrf: str, org: OrgHandle, issue: dict) -> None:
    key = issue["key"]
    version = issue["version"]
    for field, value in (("priority", "Low"), ("assignee", str(org.admin_user_id)), ("description", "New text"),
                         ("assignee", "")):
        response = web.post(f"/browse/{key}/fields/{field}", headers=HTMX,
                            data={"csrf_token": csrf, "value": value, "version": str(version)})
        assert response.status_code == 200, response.text
        version += 1
    current = web.get(f"/v2/issues/{key}", headers=org.headers).json()
    assert current["priority"]["name"] == "Low"
    assert current["description"] == "New text"
    assert current["assignee"] is None
    bad = web.post(f"/browse/{key}/fields/summary", headers=HTMX,
                   data={"csrf_token": csrf, "value": "", "version": str(version)})
    assert bad.status_code == 400
    assert "must not be empty" in bad.text
    assert web.get(f"/browse/{key}/fields/status/edit").status_code == 404


def test_text_the_databases_store_differently_is_refused_in_any_form_encoding(web: TestClient, csrf: str,
                                                                              project: dict) -> None:
    form = {"csrf_token": csrf, "project": "PROJ", "issue_type": "Task", "summary": "bad\u0000summary"}
    urlencoded = web.post("/issues/new", data=form, follow_redirects=False)
    multipart = web.post("/issues/new", data=form, files={"unused": ("a.txt", b"x")}, follow_redirects=False)
    for response in (urlencoded, multipart):
        assert response.status_code == 400
        assert "&#39;summary&#39; holds a NUL character" in response.text
    assert web.get("/search", params={"jql": "project = PROJ"}).text.count("bad") == 0
