"""/admin/permission-schemes and /admin/global-permissions: administrators only; create, rename,
delete when unused (the refusals shown in place); grants added (a bad one refused in place) and
removed; a project's scheme chosen on its settings page takes effect through REST; another
organization's scheme is a 404 page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories.web import open_session, sign_in_as
from tests.support import OrgHandle, UserHandle, make_user, unique_key

PAGE = "/admin/permission-schemes"


def _create(web: TestClient, csrf: str, name: str) -> str:
    created = web.post(PAGE, data={"csrf_token": csrf, "name": name, "description": "Locked down"},
                       follow_redirects=False)
    assert created.status_code == 303, created.text
    return created.headers["location"].split("?")[0]


def _grant_ids(page: str) -> list[str]:
    return re.findall(r'<div class="grant" id="grant-(\d+)"', page)


def test_members_are_refused(web: TestClient, database_url: str, org: OrgHandle, member: UserHandle) -> None:
    csrf = open_session(web, database_url, org)
    scheme_url = _create(web, csrf, "Refused")
    sign_in_as(web, database_url, member)
    page = web.get("/projects")
    member_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert member_csrf is not None
    for path in (PAGE, scheme_url, "/admin/global-permissions"):
        refused = web.get(path)
        assert refused.status_code == 403 and "Only an organization administrator" in refused.text, path
    token = member_csrf.group(1)
    assert web.post(PAGE, data={"csrf_token": token, "name": "Mine"}).status_code == 403
    assert web.post(f"{scheme_url}/delete", data={"csrf_token": token}).status_code == 403
    assert web.post("/admin/global-permissions", data={"csrf_token": token, "permission": "CREATE_PROJECT",
                                                       "holder_type": "org_role", "parameter": "member"}).status_code == 403


def test_scheme_create_edit_grants_and_delete(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    listing = web.get(PAGE)
    assert listing.status_code == 200 and "Default</span>" in listing.text
    assert 'href="/admin/permission-schemes"' in listing.text  # the administration menu links it
    scheme_url = _create(web, csrf, "Contractors <only>")
    page = web.get(scheme_url)
    assert "Contractors &lt;only&gt;" in page.text and "Locked down" in page.text and _grant_ids(page.text) == []
    clash = web.post(PAGE, data={"csrf_token": csrf, "name": "contractors <ONLY>"})
    assert clash.status_code == 409 and "already exists" in clash.text and 'value="contractors &lt;ONLY&gt;"' in clash.text

    renamed = web.post(scheme_url, data={"csrf_token": csrf, "name": "Contractors", "description": "Theirs"},
                       follow_redirects=False)
    assert renamed.status_code == 303
    empty = web.post(scheme_url, data={"csrf_token": csrf, "name": " ", "description": ""})
    assert empty.status_code == 400 and 'id="details-name-error"' in empty.text

    # A bad grant is refused at the field it names, the form kept.
    bad_group = web.post(f"{scheme_url}/grants", data={"csrf_token": csrf, "permission": "BROWSE_PROJECTS",
                                                       "holder_type": "group", "parameter": "no-such-group"})
    assert bad_group.status_code == 400 and 'id="grant-parameter-error"' in bad_group.text
    assert "The group &#39;no-such-group&#39; does not exist." in bad_group.text
    assert 'value="no-such-group"' in bad_group.text
    bad_user = web.post(f"{scheme_url}/grants", data={"csrf_token": csrf, "permission": "EDIT_ISSUES",
                                                      "holder_type": "user", "parameter": "ghost@example.test"})
    assert bad_user.status_code == 400 and 'id="grant-parameter-error"' in bad_user.text
    bad_permission = web.post(f"{scheme_url}/grants", data={"csrf_token": csrf, "permission": "ADMINISTER",
                                                            "holder_type": "anyone", "parameter": ""})
    assert bad_permission.status_code == 400 and 'id="grant-permission-error"' in bad_permission.text

    someone = make_user(database_url, org)
    for data in ({"permission": "BROWSE_PROJECTS", "holder_type": "project_role", "parameter": "developers"},
                 {"permission": "EDIT_ISSUES", "holder_type": "user", "parameter": someone.email.upper()},
                 {"permission": "EDIT_ISSUES", "holder_type": "reporter", "parameter": ""}):
        added = web.post(f"{scheme_url}/grants", data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert added.status_code == 303, added.text
    again = web.post(f"{scheme_url}/grants", data={"csrf_token": csrf, "permission": "BROWSE_PROJECTS",
                                                   "holder_type": "project_role", "parameter": "developers"})
    assert again.status_code == 409 and "already grants" in again.text
    page = web.get(scheme_url).text
    assert len(_grant_ids(page)) == 3
    assert "Project role: developers" in page and "User: " in page and "Reporter" in page
    # The same scheme through REST.
    scheme_id = scheme_url.rsplit("/", 1)[1]
    shown = web.get(f"/v2/permission-schemes/{scheme_id}", headers=org.headers).json()
    assert shown["name"] == "Contractors" and shown["description"] == "Theirs" and len(shown["grants"]) == 3

    removed = web.post(f"{scheme_url}/grants/{_grant_ids(page)[0]}/remove", data={"csrf_token": csrf},
                       follow_redirects=False)
    assert removed.status_code == 303
    assert len(_grant_ids(web.get(scheme_url).text)) == 2

    default_id = next(s["id"] for s in web.get("/v2/permission-schemes", headers=org.headers).json()["permission_schemes"]
                      if s["is_default"])
    refused = web.post(f"{PAGE}/{default_id}/delete", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "default permission scheme cannot be deleted" in refused.text

    key = unique_key("P")[:10]
    assert web.post("/v2/projects", headers=org.headers, json={"key": key, "name": "Used"}).status_code == 201
    web.post(f"/admin/projects/{key}/permission-scheme", data={"csrf_token": csrf, "scheme_id": scheme_id})
    assert f'href="/admin/projects/{key}"' in web.get(PAGE).text
    in_use = web.post(f"{scheme_url}/delete", data={"csrf_token": csrf})
    assert in_use.status_code == 409 and "used by 1 project" in in_use.text
    web.post(f"/admin/projects/{key}/permission-scheme", data={"csrf_token": csrf, "scheme_id": str(default_id)})
    deleted = web.post(f"{scheme_url}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert deleted.headers["location"] == f"{PAGE}?done=deleted"
    assert web.get(scheme_url).status_code == 404
    assert "Contractors" not in web.get(PAGE).text


def test_the_projects_scheme_switch_takes_effect(web: TestClient, csrf: str, org: OrgHandle,
                                                 member: UserHandle) -> None:
    key = unique_key("S")[:10]
    assert web.post("/v2/projects", headers=org.headers, json={"key": key, "name": "Switched"}).status_code == 201
    assert web.get(f"/v2/projects/{key}", headers=member.headers).status_code == 200
    scheme_url = _create(web, csrf, "Administrators only")
    web.post(f"{scheme_url}/grants", data={"csrf_token": csrf, "permission": "BROWSE_PROJECTS",
                                           "holder_type": "project_role", "parameter": "administrators"})
    scheme_id = scheme_url.rsplit("/", 1)[1]
    settings = web.get(f"/admin/projects/{key}").text
    assert 'id="permission-scheme-form"' in settings and "(default)</option>" in settings

    unknown = web.post(f"/admin/projects/{key}/permission-scheme", data={"csrf_token": csrf, "scheme_id": "999999999"})
    assert unknown.status_code == 400 and 'id="permissions-scheme_id-error"' in unknown.text
    assert web.get(f"/v2/projects/{key}", headers=member.headers).status_code == 200

    switched = web.post(f"/admin/projects/{key}/permission-scheme", data={"csrf_token": csrf, "scheme_id": scheme_id},
                        follow_redirects=False)
    assert switched.status_code == 303
    page = web.get(switched.headers["location"]).text
    assert "permission scheme is changed" in page and re.search(rf'<option value="{scheme_id}" selected>', page)
    assert web.get(f"/v2/projects/{key}", headers=member.headers).status_code == 404
    assert web.get(f"/v2/projects/{key}", headers=org.headers).status_code == 200


def test_global_permissions(web: TestClient, csrf: str, org: OrgHandle, member: UserHandle) -> None:
    page = web.get("/admin/global-permissions")
    assert page.status_code == 200 and 'id="permission-CREATE_PROJECT"' in page.text
    before = set(_grant_ids(page.text))
    wrong_holder = web.post("/admin/global-permissions", data={"csrf_token": csrf, "permission": "CREATE_PROJECT",
                                                              "holder_type": "anyone", "parameter": ""})
    assert wrong_holder.status_code == 400 and 'id="grant-holder_type-error"' in wrong_holder.text
    bad_role = web.post("/admin/global-permissions", data={"csrf_token": csrf, "permission": "CREATE_PROJECT",
                                                          "holder_type": "org_role", "parameter": "overlord"})
    assert bad_role.status_code == 400 and 'id="grant-parameter-error"' in bad_role.text
    assert 'value="overlord"' in bad_role.text

    key = unique_key("G")[:10]
    refused = web.post("/v2/projects", headers=member.headers, json={"key": key, "name": "Theirs"})
    assert refused.status_code == 403
    added = web.post("/admin/global-permissions", data={"csrf_token": csrf, "permission": "CREATE_PROJECT",
                                                       "holder_type": "org_role", "parameter": "member"},
                     follow_redirects=False)
    assert added.status_code == 303
    new = set(_grant_ids(web.get("/admin/global-permissions").text)) - before
    assert len(new) == 1
    again = web.post("/admin/global-permissions", data={"csrf_token": csrf, "permission": "CREATE_PROJECT",
                                                       "holder_type": "org_role", "parameter": "member"})
    assert again.status_code == 409 and "already granted" in again.text
    assert web.post("/v2/projects", headers=member.headers, json={"key": key, "name": "Theirs"}).status_code == 201

    grant_id = new.pop()
    web.post(f"/admin/global-permissions/{grant_id}/remove", data={"csrf_token": csrf})
    assert grant_id not in _grant_ids(web.get("/admin/global-permissions").text)
    other = unique_key("H")[:10]
    assert web.post("/v2/projects", headers=member.headers, json={"key": other, "name": "No"}).status_code == 403


def test_another_organizations_scheme_is_not_found(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                   database_url: str) -> None:
    theirs_csrf = open_session(web, database_url, other_org)
    scheme_url = _create(web, theirs_csrf, "Theirs only")
    web.post(f"{scheme_url}/grants", data={"csrf_token": theirs_csrf, "permission": "BROWSE_PROJECTS",
                                           "holder_type": "anyone", "parameter": ""})
    grant_id = _grant_ids(web.get(scheme_url).text)[0]
    before = set(_grant_ids(web.get("/admin/global-permissions").text))
    global_added = web.post("/admin/global-permissions", data={
        "csrf_token": theirs_csrf, "permission": "CREATE_PROJECT", "holder_type": "org_role", "parameter": "viewer"},
        follow_redirects=False)
    assert global_added.status_code == 303
    (global_id,) = set(_grant_ids(web.get("/admin/global-permissions").text)) - before
    web.cookies.clear()

    csrf = open_session(web, database_url, org)
    scheme_id = scheme_url.rsplit("/", 1)[1]
    assert web.get(scheme_url).status_code == 404
    assert web.post(scheme_url, data={"csrf_token": csrf, "name": "Mine now"}).status_code == 404
    assert web.post(f"{scheme_url}/delete", data={"csrf_token": csrf}).status_code == 404
    assert web.post(f"{scheme_url}/grants", data={"csrf_token": csrf, "permission": "BROWSE_PROJECTS",
                                                  "holder_type": "anyone", "parameter": ""}).status_code == 404
    assert web.post(f"{scheme_url}/grants/{grant_id}/remove", data={"csrf_token": csrf}).status_code == 404
    assert web.post(f"/admin/global-permissions/{global_id}/remove", data={"csrf_token": csrf}).status_code == 404
    assert web.get(f"{PAGE}/not-a-number").status_code == 404
    assert "Theirs only" not in web.get(PAGE).text
    assert f'id="grant-{global_id}"' not in web.get("/admin/global-permissions").text
    # Their scheme cannot be given to one of our projects either.
    key = unique_key("T")[:10]
    assert web.post("/v2/projects", headers=org.headers, json={"key": key, "name": "Ours"}).status_code == 201
    refused = web.post(f"/admin/projects/{key}/permission-scheme", data={"csrf_token": csrf, "scheme_id": scheme_id})
    assert refused.status_code == 400
    # Still theirs, untouched.
    web.cookies.clear()
    open_session(web, database_url, other_org)
    assert "Theirs only" in web.get(scheme_url).text and f'id="grant-{grant_id}"' in web.get(scheme_url).text
