"""The webhooks admin pages: the list and a webhook's delivery history, for organization admins
only; another organization's webhook is a 404 page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import open_session, sign_in_as
from tests.support import OrgHandle, make_user


def test_the_list_and_the_history(web: TestClient, csrf: str, org: OrgHandle) -> None:
    created = web.post("/v2/webhooks", headers=org.headers, json={
        "name": "Deploys <prod>", "url": "https://ci.example.test/hook", "events": ["jira:issue_created"],
        "jql": "priority = High"})
    assert created.status_code == 201, created.text
    hook = created.json()
    web.post(f"/v2/webhooks/{hook['id']}/test", headers=org.headers)
    listing = web.get("/admin/webhooks")
    assert listing.status_code == 200
    assert "Deploys &lt;prod&gt;" in listing.text and f'href="/admin/webhooks/{hook["id"]}"' in listing.text
    assert "priority = High" in listing.text and "Enabled" in listing.text
    assert 'href="/admin/webhooks" class="active"' in listing.text
    page = web.get(f"/admin/webhooks/{hook['id']}")
    assert page.status_code == 200 and "webhook_test" in page.text and "not yet sent" in page.text


def test_members_and_other_organizations_are_kept_out(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                      database_url: str) -> None:
    hook = web.post("/v2/webhooks", headers=org.headers, json={
        "name": "Ours", "url": "https://ci.example.test/hook", "events": []}).json()
    open_session(web, database_url, other_org)
    assert web.get(f"/admin/webhooks/{hook['id']}").status_code == 404
    assert "Ours" not in web.get("/admin/webhooks").text
    web.cookies.clear()
    sign_in_as(web, database_url, make_user(database_url, org, role="member"))
    assert web.get("/admin/webhooks").status_code == 403
