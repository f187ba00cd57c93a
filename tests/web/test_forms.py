"""Changes made through the issue page's forms: CSRF on each (as a field or, for HTMX, a header),
transitions with their screens, comments, and text the databases store differently refused in
any form encoding."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import HTMX
from tests.support import OrgHandle


def test_changes_without_the_csrf_token_are_refused(web: TestClient, csrf: str, org: OrgHandle,
                                                    issue: dict) -> None:
    key = issue["key"]
    attempts = [
        ("/issues/new", {"project": "PROJ", "issue_type": "Bug", "summary": "forged"}),
        (f"/browse/{key}/comments", {"body": "forged"}),
        (f"/browse/{key}/transitions/21", {}),
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
    moved = web.post(f"/browse/{key}/transitions/21", data={"csrf_token": csrf, "version": str(issue["version"])},
                     follow_redirects=False)
    assert moved.status_code == 303
    page = web.get(f"/browse/{key}")
    assert 'lozenge lozenge-progress' in page.text
    assert "In Review" in page.text
    stale = web.post(f"/browse/{key}/transitions/41", data={"csrf_token": csrf, "version": str(issue["version"])})
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
    assert web.post(f"/browse/{key}/transitions/21", data={"csrf_token": csrf, "version": str(issue["version"])},
                    follow_redirects=False).status_code == 303
    page = web.get(f"/browse/{key}").text
    assert 'class="transition-screen"' in page and 'name="field.resolution"' in page
    done = web.post(f"/browse/{key}/transitions/31", follow_redirects=False, data={
        "csrf_token": csrf, "version": str(issue["version"] + 1), "field.resolution": "Fixed",
        "comment": "Shipped in 1.2"})
    assert done.status_code == 303, done.text
    page = web.get(f"/browse/{key}").text
    assert "Resolution: Fixed" in page and "Shipped in 1.2" in page


def test_text_the_databases_store_differently_is_refused_in_any_form_encoding(web: TestClient, csrf: str,
                                                                              project: dict) -> None:
    form = {"csrf_token": csrf, "project": "PROJ", "issue_type": "Task", "summary": "bad\u0000summary"}
    urlencoded = web.post("/issues/new", data=form, follow_redirects=False)
    multipart = web.post("/issues/new", data=form, files={"unused": ("a.txt", b"x")}, follow_redirects=False)
    for response in (urlencoded, multipart):
        assert response.status_code == 400
        assert "&#39;summary&#39; holds a NUL character" in response.text
    assert web.get("/search", params={"jql": "project = PROJ"}).text.count("bad") == 0
