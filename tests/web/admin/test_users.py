"""/admin/users: the people a page at a time, inviting by email (the link shown once, the
invited person joining through it), role changes, deactivation and reactivation; members get
the 403 page, and another organization's users are 404."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories.web import open_session, sign_in_as
from tests.support import OrgHandle, make_user, set_limits

LINK = re.compile(r'id="invitation-link">http://testserver(/invite/[^<]+)<')


def _invite(web: TestClient, csrf: str, email: str, **extra: str) -> str:
    response = web.post("/admin/users/invite", data={"csrf_token": csrf, "email": email, **extra})
    assert response.status_code == 201, response.text
    match = LINK.search(response.text)
    assert match is not None
    return match.group(1)


def test_the_list_pages_and_finds(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    for number in range(26):
        make_user(database_url, org, email=f"person{number:02d}@{org.key.lower()}.test")
    first = web.get("/admin/users")
    assert first.status_code == 200
    assert first.text.count('<tr id="user-') == 25 and "Page 1 of 2 · 27 in all" in first.text
    assert 'href="/admin" class="active">Administration</a>' in first.text
    assert 'href="/admin/users" class="active"' in first.text
    second = web.get("/admin/users?page=2")
    assert second.text.count('<tr id="user-') == 2
    found = web.get("/admin/users?q=person07")
    assert found.text.count('<tr id="user-') == 1 and "person07@" in found.text
    assert web.get("/admin/users?q=nobody-like-this").text.count('<tr id="user-') == 0
    assert web.get("/admin", follow_redirects=False).headers["location"] == "/admin/users"


def test_invite_join_and_sign_in(web: TestClient, csrf: str, org: OrgHandle) -> None:
    link = _invite(web, csrf, "New.Person@Example.test", name="New Person", role="viewer")
    listing = web.get("/admin/users?q=new.person")
    assert "Invited" in listing.text and "New invitation link" in listing.text
    admin_cookies = dict(web.cookies)
    web.cookies.clear()
    page = web.get(link)
    assert page.status_code == 200 and "new.person@example.test" in page.text
    refused = web.post(link, data={"name": "Nova", "password": "short", "confirm_password": "short"},
                       headers={"Origin": "http://testserver"})
    assert refused.status_code == 400 and "8 to 1024 characters" in refused.text and 'value="Nova"' in refused.text
    differ = web.post(link, data={"name": "Nova", "password": "long enough 1", "confirm_password": "other one 2"},
                      headers={"Origin": "http://testserver"})
    assert differ.status_code == 400 and "The two passwords differ." in differ.text
    joined = web.post(link, data={"name": "Nova Person", "password": "long enough 1",
                                  "confirm_password": "long enough 1"},
                      headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == "/projects"
    assert web.get("/projects").status_code == 200  # signed in as the new person
    web.cookies.clear()
    assert web.get(link).status_code == 404  # used once
    assert web.post("/signin", data={"email": "new.person@example.test", "password": "long enough 1",
                                     "organization": org.key}, follow_redirects=False).status_code == 303
    web.cookies.clear()
    web.cookies.update(admin_cookies)
    listing = web.get("/admin/users?q=new.person")
    assert "Nova Person" in listing.text and "Active" in listing.text and "Invited" not in listing.text


def test_invitation_errors_are_shown_in_place(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    bad = web.post("/admin/users/invite", data={"csrf_token": csrf, "email": "not-an-email", "name": "Kept Name"})
    assert bad.status_code == 400 and "is not a valid email address" in bad.text
    assert 'value="Kept Name"' in bad.text and 'aria-invalid="true"' in bad.text
    duplicate = web.post("/admin/users/invite", data={"csrf_token": csrf, "email": org.admin_email})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    set_limits(database_url, org.key, max_users=1)
    full = web.post("/admin/users/invite", data={"csrf_token": csrf, "email": "one.more@example.test"})
    assert full.status_code == 403 and "limit of 1 users" in full.text and 'value="one.more@example.test"' in full.text


def test_a_new_link_replaces_the_old_one(web: TestClient, csrf: str) -> None:
    old = _invite(web, csrf, "late@example.test")
    user_id = re.search(r'<tr id="user-(\d+)">\s*<td>[^\n]*Late', web.get("/admin/users?q=late").text)
    assert user_id is not None
    again = web.post(f"/admin/users/{user_id.group(1)}/invite", data={"csrf_token": csrf})
    assert again.status_code == 200
    new = LINK.search(again.text)
    assert new is not None and new.group(1) != old
    assert web.get(old).status_code == 404 and web.get(new.group(1)).status_code == 200


def test_role_and_deactivation(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    someone = make_user(database_url, org, role="member")
    changed = web.post(f"/admin/users/{someone.user_id}", data={"csrf_token": csrf, "role": "viewer"},
                       follow_redirects=False)
    assert changed.status_code == 303 and changed.headers["location"] == "/admin/users?done=role"
    assert web.get(f"/v2/users/{someone.user_id}", headers=org.headers).json()["role"] == "viewer"
    for change in ({"role": "member"}, {"active": "false"}):
        own = web.post(f"/admin/users/{org.admin_user_id}", data={"csrf_token": csrf, **change})
        assert own.status_code == 400 and "You cannot deactivate yourself or change your own role" in own.text
    assert web.get("/admin/users").status_code == 200  # still an administrator
    bad_role = web.post(f"/admin/users/{someone.user_id}", data={"csrf_token": csrf, "role": "emperor"})
    assert bad_role.status_code == 400 and "Role must be one of" in bad_role.text
    deactivated = web.post(f"/admin/users/{someone.user_id}", data={
        "csrf_token": csrf, "active": "false", "back": "?q=user&page=2&evil=1"}, follow_redirects=False)
    assert deactivated.headers["location"] == "/admin/users?q=user&page=2&done=deactivated"
    assert web.get(f"/v2/users/{someone.user_id}", headers=org.headers).json()["active"] is False
    assert web.get("/v2/myself", headers=someone.headers).status_code == 401
    web.post(f"/admin/users/{someone.user_id}", data={"csrf_token": csrf, "active": "true"})
    assert web.get("/v2/myself", headers=someone.headers).status_code == 200


def test_members_and_other_organizations_are_kept_out(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                      database_url: str) -> None:
    theirs = make_user(database_url, other_org)
    csrf = open_session(web, database_url, org)
    assert web.post(f"/admin/users/{theirs.user_id}", data={"csrf_token": csrf, "role": "admin"}).status_code == 404
    assert web.post(f"/admin/users/{theirs.user_id}/invite", data={"csrf_token": csrf}).status_code == 404
    assert theirs.email not in web.get("/admin/users").text
    member = make_user(database_url, org, role="member")
    sign_in_as(web, database_url, member)
    page = web.get("/projects")
    assert ">Administration</a>" not in page.text
    for path in ("/admin", "/admin/users", "/admin/groups", "/admin/settings", "/admin/projects",
                 "/admin/projects/new", "/admin/workflows"):
        refused = web.get(path)
        assert refused.status_code == 403 and "Only an organization administrator" in refused.text, path
    member_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert member_csrf is not None
    invite = web.post("/admin/users/invite", data={"csrf_token": member_csrf.group(1), "email": "x@example.test"})
    assert invite.status_code == 403
