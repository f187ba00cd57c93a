"""Inline edits on the issue page: each field's editor and save, and a stale version answered with
a conflict instead of an overwrite."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import HTMX
from tests.support import OrgHandle


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
