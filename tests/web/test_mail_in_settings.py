"""/projects/{key}/settings/mail-in: a project administrator sees the project's address and saves
its email-in policy (read back through GET /v2/projects/{key}/mail-in); a policy the domain
refuses is the page again, status 400, with the message at its field and nothing saved; members
are refused and linked to nothing; another organization's admin finds no such project."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.web import CSRF, open_session, sign_in_as
from tests.support import OrgHandle, UserHandle

PAGE = "/projects/PROJ/settings/mail-in"


def policy(web: TestClient, org: OrgHandle) -> dict:
    return ok(web.get("/v2/projects/PROJ/mail-in", headers=org.headers))


def test_the_page_shows_the_address_and_saves_the_policy(web: TestClient, csrf: str, org: OrgHandle, project: dict,
                                                         member: UserHandle) -> None:
    assert f'href="{PAGE}"' in web.get("/projects/PROJ").text  # linked from the project page
    stored = policy(web, org)
    page = web.get(PAGE)
    assert page.status_code == 200
    assert f'<code id="mail-in-address">{stored["address"]}</code>' in page.text
    assert '<input type="checkbox" name="enabled" checked>' in page.text
    assert re.search(r'name="unknown_senders" value="reject" checked', page.text)
    assert '<option value="Task" selected>Task</option>' in page.text
    saved = web.post(PAGE, data={"csrf_token": csrf, "unknown_senders": "create", "on_behalf_of_id": str(member.user_id),
                                 "issue_type": "Bug"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == PAGE + "?saved=1"
    assert policy(web, org) == {"address": stored["address"], "enabled": False, "unknown_senders": "create",
                                "on_behalf_of_id": member.user_id, "issue_type": "Bug"}
    shown = web.get(PAGE + "?saved=1").text
    assert "The email-in settings are saved." in shown and 'name="enabled" checked' not in shown
    assert f'<option value="{member.user_id}" selected>' in shown and '<option value="Bug" selected>' in shown


def test_a_refused_policy_is_shown_at_its_field_and_nothing_is_saved(web: TestClient, csrf: str, org: OrgHandle,
                                                                     project: dict) -> None:
    before = policy(web, org)
    nobody = web.post(PAGE, data={"csrf_token": csrf, "enabled": "on", "unknown_senders": "create",
                                  "on_behalf_of_id": "", "issue_type": "Story"})
    assert nobody.status_code == 400
    assert re.search(r'<select name="on_behalf_of_id" aria-invalid="true"', nobody.text)
    assert "needs on_behalf_of_id" in nobody.text and 'id="acting-error"' in nobody.text
    assert re.search(r'value="create" checked', nobody.text) and '<option value="Story" selected>' in nobody.text
    for data, field in (({"on_behalf_of_id": "abc", "unknown_senders": "reject", "issue_type": "Task"},
                         "on_behalf_of_id"),
                        ({"on_behalf_of_id": "999999999", "unknown_senders": "reject", "issue_type": "Task"},
                         "on_behalf_of_id"),
                        ({"unknown_senders": "bounce", "issue_type": "Task"}, "unknown_senders"),
                        ({"unknown_senders": "reject", "issue_type": " "}, "issue_type")):
        refused = web.post(PAGE, data={"csrf_token": csrf, **data})
        assert refused.status_code == 400, (data, refused.text)
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', refused.text), data
    assert policy(web, org) == before


def test_members_and_other_organizations_are_kept_out(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                      project: dict, member: UserHandle, database_url: str) -> None:
    before = policy(web, org)
    sign_in_as(web, database_url, member)
    issues = web.get("/projects/PROJ")
    assert issues.status_code == 200 and f'href="{PAGE}"' not in issues.text
    member_csrf = CSRF.search(issues.text).group(1)  # type: ignore[union-attr]
    assert web.get(PAGE).status_code == 403
    assert web.post(PAGE, data={"csrf_token": member_csrf, "unknown_senders": "reject",
                                "issue_type": "Bug"}).status_code == 403
    web.cookies.clear()
    other_csrf = open_session(web, database_url, other_org)
    foreign = web.get(PAGE)
    assert foreign.status_code == 404 and before["address"] not in foreign.text
    assert web.get("/projects/NOPE/settings/mail-in").status_code == 404
    assert web.post(PAGE, data={"csrf_token": other_csrf, "enabled": "on", "unknown_senders": "reject",
                                "issue_type": "Bug"}).status_code == 404
    assert policy(web, org) == before
