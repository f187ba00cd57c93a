"""The permissions enforced on an issue's outcome, through every surface that sets it: who may be
made assignee (ASSIGNABLE_USER), who may close (CLOSE_ISSUES: into a Done status) and resolve
(RESOLVE_ISSUES: set, change or clear the resolution). ADMINISTER granted by global permission
to a group makes an organization administrator everywhere, and the organization's admin role
can never lose it. Group and project role changes reach another app instance at once (through
the live channel), although it caches principals for minutes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.main import create_app
from tests.factories.web import sign_in_as
from tests.support import REDIS_URL, OrgHandle, UserHandle, make_user, redis_unreachable_reason, unique_key
from tests.tenancy.test_permission_schemes import _assign, _grant, _scheme

API = "/rest/api/2"


def _project(client: TestClient, org: OrgHandle, grants: list[dict], **extra: object) -> dict:
    project = client.post("/v2/projects", headers=org.headers,
                          json={"key": unique_key("P")[:10], "name": "Checked", **extra})
    assert project.status_code == 201, project.text
    _assign(client, org, project.json(), _scheme(client, org, grants))
    return project.json()


def _admin(org: OrgHandle) -> UserHandle:
    return UserHandle(org.admin_user_id, org.admin_email, org.token, org.admin_password)


def test_assignable_user_through_every_surface(client: TestClient, database_url: str, org: OrgHandle,
                                               member: UserHandle) -> None:
    holder = make_user(database_url, org)
    everyone = [_grant(p, "anyone") for p in ("BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "ASSIGN_ISSUES")]
    project = _project(client, org, [*everyone, _grant("ASSIGNABLE_USER", "user", holder.user_id)])
    task = {"project_id": project["id"], "issue_type": "Task", "summary": "Who takes it"}
    refused = client.post("/v2/issues", headers=org.headers, json={**task, "assignee_id": member.user_id})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "assignee_id", refused.text
    assert refused.json()["error"]["message"] == f"User '{member.email}' cannot be assigned issues."
    issue = client.post("/v2/issues", headers=org.headers, json={**task, "assignee_id": holder.user_id})
    assert issue.status_code == 201, issue.text
    key = issue.json()["key"]
    # Edits, Jira's assign and create, its bulk create and GraphQL all refuse the same way.
    edit = client.put(f"/v2/issues/{key}", headers=member.headers, json={"assignee_id": member.user_id})
    assert edit.status_code == 400 and edit.json()["error"]["code"] == "not_assignable"
    jira = client.put(f"{API}/issue/{key}/assignee", headers=org.headers, json={"name": member.email})
    assert jira.status_code == 400 and "cannot be assigned issues" in jira.json()["errors"]["assignee"], jira.text
    jira_create = client.post(f"{API}/issue", headers=org.headers, json={"fields": {
        "project": {"key": project["key"]}, "issuetype": {"name": "Task"}, "summary": "x",
        "assignee": {"name": member.email}}})
    assert jira_create.status_code == 400 and "assignee" in jira_create.json()["errors"], jira_create.text
    bulk = client.post(f"{API}/issue/bulk", headers=org.headers, json={"issueUpdates": [{"fields": {
        "project": {"key": project["key"]}, "issuetype": {"name": "Task"}, "summary": "x",
        "assignee": {"name": member.email}}}]})
    assert "cannot be assigned issues" in bulk.text and not bulk.json().get("issues"), bulk.text
    graphql = client.post("/graphql", headers=org.headers, json={
        "query": "mutation($id: ID!, $u: ID!) { updateIssue(id: $id, input: {assigneeId: $u}) { id } }",
        "variables": {"id": key, "u": str(member.user_id)}}).json()
    assert graphql["errors"][0]["extensions"]["code"] == "BAD_INPUT", graphql
    assert client.put(f"{API}/issue/{key}/assignee", headers=org.headers, json={"name": org.admin_email}
                      ).status_code == 204  # administrators hold every permission
    # Jira's assignable search and the pages' assignee pickers offer the holders only.
    found = client.get(f"{API}/user/assignable/search", headers=member.headers, params={"project": project["key"]})
    assert {u["emailAddress"] for u in found.json()} == {holder.email, org.admin_email}, found.text
    try:
        sign_in_as(client, database_url, _admin(org))
        page = client.get(f"/browse/{key}/fields/assignee/edit")  # the assignee's editor
        assert page.status_code == 200, page.text
        assert f'value="{holder.user_id}"' in page.text and f'value="{member.user_id}"' not in page.text
    finally:
        client.cookies.clear()


def _transition_to(client: TestClient, org: OrgHandle, issue: dict, category: str) -> str:
    listed = client.get(f"/v2/issues/{issue['id']}/transitions", headers=org.headers).json()
    transitions = listed["transitions"] if isinstance(listed, dict) else listed
    return next(t["id"] for t in transitions if t["to"]["category"] == category)


def _offered(client: TestClient, user: UserHandle, issue: dict) -> set[str]:
    listed = client.get(f"/v2/issues/{issue['id']}/transitions", headers=user.headers).json()
    return {t["to"]["category"] for t in (listed["transitions"] if isinstance(listed, dict) else listed)}


def test_close_and_resolve_issues(client: TestClient, database_url: str, org: OrgHandle, member: UserHandle) -> None:
    closer, closes_only = make_user(database_url, org), make_user(database_url, org)
    everyone = [_grant(p, "anyone") for p in ("BROWSE_PROJECTS", "CREATE_ISSUES", "TRANSITION_ISSUES")]
    project = _project(client, org, [*everyone, _grant("CLOSE_ISSUES", "user", closer.user_id),
                                     _grant("RESOLVE_ISSUES", "user", closer.user_id),
                                     _grant("CLOSE_ISSUES", "user", closes_only.user_id)])
    issue = client.post("/v2/issues", headers=org.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Finish me"}).json()
    done = _transition_to(client, org, issue, "done")
    # Closing is refused, and not offered, to whoever lacks CLOSE_ISSUES.
    assert "done" not in _offered(client, member, issue) and "done" in _offered(client, closer, issue)
    refused = client.post(f"/v2/issues/{issue['id']}/transitions/{done}", headers=member.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "transition_forbidden"
    assert "CLOSE_ISSUES" in refused.json()["error"]["message"]
    jira = client.post(f"{API}/issue/{issue['key']}/transitions", headers=member.headers,
                       json={"transition": {"id": done}})
    assert jira.status_code == 403 and "CLOSE_ISSUES" in jira.json()["errorMessages"][0], jira.text
    # Closing sets a resolution: without RESOLVE_ISSUES, refused; choosing one is refused on the field.
    assert "done" not in _offered(client, closes_only, issue)
    implicit = client.post(f"/v2/issues/{issue['id']}/transitions/{done}", headers=closes_only.headers)
    assert implicit.status_code == 403 and "RESOLVE_ISSUES" in implicit.json()["error"]["message"]
    chosen = client.post(f"{API}/issue/{issue['key']}/transitions", headers=closes_only.headers,
                         json={"transition": {"id": done}, "fields": {"resolution": {"name": "Done"}}})
    assert chosen.status_code == 400 and "RESOLVE_ISSUES" in chosen.json()["errors"]["resolution"], chosen.text
    assert client.get(f"/v2/issues/{issue['id']}", headers=org.headers).json()["resolution"] is None
    closed = client.post(f"{API}/issue/{issue['key']}/transitions", headers=closer.headers,
                         json={"transition": {"id": done}, "fields": {"resolution": {"name": "Done"}}})
    assert closed.status_code == 204, closed.text
    assert client.get(f"/v2/issues/{issue['id']}", headers=org.headers).json()["resolution"]["name"] == "Done"
    # Reopening clears the resolution: RESOLVE_ISSUES again.
    reopen = _transition_to(client, org, {"id": issue["id"]}, "todo")
    assert "todo" not in _offered(client, member, issue)
    graphql = client.post("/graphql", headers=member.headers, json={
        "query": "mutation($id: ID!, $t: String!) { transitionIssue(id: $id, transition: $t) { id } }",
        "variables": {"id": issue["key"], "t": str(reopen)}}).json()
    assert graphql["errors"][0]["extensions"]["code"] == "FORBIDDEN", graphql
    assert client.post(f"/v2/issues/{issue['id']}/transitions/{reopen}", headers=closer.headers).status_code == 200
    assert client.get(f"/v2/issues/{issue['id']}", headers=org.headers).json()["resolution"] is None


def _administering_group(client: TestClient, org: OrgHandle) -> str:
    """A new group (Jira's group API) holding ADMINISTER; its name."""
    name = f"Admins {uuid.uuid4().hex[:8]}"
    assert client.post(f"{API}/group", headers=org.headers, json={"name": name}).status_code == 201
    granted = client.post("/v2/global-permissions", headers=org.headers,
                          json={"permission": "ADMINISTER", "holder": {"type": "group", "parameter": name}})
    assert granted.status_code == 201, granted.text
    return name


def test_administer_by_group(client: TestClient, database_url: str, org: OrgHandle, member: UserHandle) -> None:
    private = client.post("/v2/projects", headers=org.headers, json={
        "key": unique_key("V")[:10], "name": "Private", "access": "private"}).json()
    project = _project(client, org, [_grant("BROWSE_PROJECTS", "anyone"),
                                     _grant("ASSIGNABLE_USER", "project_role", "administrators")])
    assert client.get("/v2/audit/retention", headers=member.headers).status_code == 403
    assert client.get(f"/v2/projects/{private['key']}", headers=member.headers).status_code == 404
    name = _administering_group(client, org)
    added = client.post(f"{API}/group/user", headers=org.headers, params={"groupname": name},
                        json={"name": member.email})
    assert added.status_code == 201, added.text
    # Every kind of check: the global engine, project permissions, `is_org_admin`, SQL lists, pages.
    assert client.get("/v2/audit/retention", headers=member.headers).status_code == 200
    assert client.get(f"/v2/projects/{private['key']}", headers=member.headers).status_code == 200
    assert private["id"] in {p["id"] for p in client.get("/v2/projects", headers=member.headers).json()["projects"]}
    assignable = client.get(f"{API}/user/assignable/search", headers=org.headers, params={"project": project["key"]})
    assert member.email in {u["emailAddress"] for u in assignable.json()}
    try:
        sign_in_as(client, database_url, member)
        assert 'href="/admin"' in client.get("/projects").text
    finally:
        client.cookies.clear()
    removed = client.delete(f"{API}/group/user", headers=org.headers,
                            params={"groupname": name, "username": member.email})
    assert removed.status_code == 200, removed.text
    assert client.get("/v2/audit/retention", headers=member.headers).status_code == 403
    assert client.get(f"/v2/projects/{private['key']}", headers=member.headers).status_code == 404
    # The admin role never depends on a grant: revoking ADMINISTER from it locks no one out.
    grants = client.get("/v2/global-permissions", headers=org.headers).json()["grants"]
    by_role = next(g for g in grants if g["permission"] == "ADMINISTER" and g["holder"]["parameter"] == "admin")
    assert client.delete(f"/v2/global-permissions/{by_role['id']}", headers=org.headers).status_code == 204
    assert client.get("/v2/audit/retention", headers=org.headers).status_code == 200
    restored = client.post("/v2/global-permissions", headers=org.headers,
                           json={"permission": "ADMINISTER", "holder": {"type": "org_role", "parameter": "admin"}})
    assert restored.status_code == 201, restored.text


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_group_and_role_changes_reach_another_instance(settings: Settings, database_url: str, org: OrgHandle,
                                                       member: UserHandle) -> None:
    """Both instances trust a token's actor for five minutes: only the catalog version's
    invalidation, through the live channel, can make the other one see a change in time."""
    reason = redis_unreachable_reason()
    if reason:
        pytest.skip(reason)
    shared = replace(settings, redis_url=REDIS_URL, live_channel_prefix=f"t-{uuid.uuid4().hex[:8]}",
                     auth_cache_seconds=300)
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        name = _administering_group(first, org)

        def audit_status() -> int:
            return second.get("/v2/audit/retention", headers=member.headers).status_code

        assert audit_status() == 403  # now cached by the second instance
        assert first.post(f"{API}/group/user", headers=org.headers, params={"groupname": name},
                          json={"name": member.email}).status_code == 201
        assert _eventually(lambda: audit_status() == 200)
        assert first.delete(f"{API}/group/user", headers=org.headers,
                            params={"groupname": name, "username": member.email}).status_code == 200
        assert _eventually(lambda: audit_status() == 403)
        # A project role: the private project appears to its new member on the other instance.
        private = first.post("/v2/projects", headers=org.headers, json={
            "key": unique_key("W")[:10], "name": "Private", "access": "private"}).json()

        def project_status() -> int:
            return second.get(f"/v2/projects/{private['key']}", headers=member.headers).status_code

        assert project_status() == 404
        assert first.put(f"/v2/projects/{private['id']}/roles/users", headers=org.headers,
                         json={"user_ids": [member.user_id]}).status_code == 200
        assert _eventually(lambda: project_status() == 200)
        assert first.put(f"/v2/projects/{private['id']}/roles/users", headers=org.headers,
                         json={"user_ids": []}).status_code == 200
        assert _eventually(lambda: project_status() == 404)
