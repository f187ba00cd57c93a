"""/admin/groups: create (a duplicate refused in place), page, members added by email and
removed, delete; another organization's group is a 404 page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import open_session
from tests.support import OrgHandle, make_user


def test_groups_and_members(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    assert "No groups yet." in web.get("/admin/groups").text
    created = web.post("/admin/groups", data={"csrf_token": csrf, "name": "Release <managers>"},
                       follow_redirects=False)
    assert created.status_code == 303
    group_url = created.headers["location"]
    duplicate = web.post("/admin/groups", data={"csrf_token": csrf, "name": "release <MANAGERS>"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.text
    assert 'value="release &lt;MANAGERS&gt;"' in duplicate.text
    empty = web.post("/admin/groups", data={"csrf_token": csrf, "name": "  "})
    assert empty.status_code == 400 and "A group name of 1 to 255 characters" in empty.text

    someone = make_user(database_url, org)
    added = web.post(f"{group_url}/members", data={"csrf_token": csrf, "user": someone.email.upper()},
                     follow_redirects=False)
    assert added.status_code == 303
    page = web.get(group_url)
    assert someone.email in page.text and "Release &lt;managers&gt;" in page.text
    again = web.post(f"{group_url}/members", data={"csrf_token": csrf, "user": someone.email})
    assert again.status_code == 400 and "already a member" in again.text
    unknown = web.post(f"{group_url}/members", data={"csrf_token": csrf, "user": "ghost@example.test"})
    assert unknown.status_code == 400 and "No user" in unknown.text and 'value="ghost@example.test"' in unknown.text
    listing = web.get("/admin/groups")
    assert "Release &lt;managers&gt;" in listing.text and "<td>1</td>" in listing.text
    # The group is what JQL's membersOf() names.
    search = web.get("/v2/search", params={"jql": 'assignee in membersOf("Release <managers>")'}, headers=org.headers)
    assert search.status_code == 200, search.text

    web.post(f"{group_url}/members/{someone.user_id}/remove", data={"csrf_token": csrf})
    assert someone.email not in web.get(group_url).text
    deleted = web.post(f"{group_url}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert deleted.headers["location"] == "/admin/groups?done=deleted"
    assert web.get(group_url).status_code == 404


def test_paging(web: TestClient, csrf: str) -> None:
    for number in range(27):
        web.post("/admin/groups", data={"csrf_token": csrf, "name": f"team-{number:02d}"})
    first = web.get("/admin/groups")
    assert first.text.count('href="/admin/groups/') == 25 and "Page 1 of 2" in first.text
    assert web.get("/admin/groups?page=2").text.count('href="/admin/groups/') == 2


def test_another_organizations_group_is_not_found(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                  database_url: str) -> None:
    theirs_csrf = open_session(web, database_url, other_org)
    group_url = web.post("/admin/groups", data={"csrf_token": theirs_csrf, "name": "Theirs"},
                         follow_redirects=False).headers["location"]
    web.cookies.clear()
    csrf = open_session(web, database_url, org)
    assert web.get(group_url).status_code == 404
    assert web.post(f"{group_url}/delete", data={"csrf_token": csrf}).status_code == 404
    assert web.post(f"{group_url}/members", data={"csrf_token": csrf, "user": org.admin_email}).status_code == 404
    assert "Theirs" not in web.get("/admin/groups").text
