"""Permission schemes as data, through every surface: the holder matrix (each holder type granted
representative permissions, asserted allow/deny for a matching and a non-matching user through
the /v2 API), scheme CRUD with field-naming errors and audit records, a restrictive scheme refusing
through REST, the Jira API and the pages, "edit own issues" (EDIT_ISSUES to the reporter),
global permissions, and the cache invalidated across two app instances."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.main import create_app
from tessera.tenancy.models import Group, GroupMember
from tests.factories.web import sign_in_as
from tests.support import OrgHandle, UserHandle, fetch_rows, make_user, unique_key


async def _make_group_async(database_url: str, org: OrgHandle, members: list[int]) -> int:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            group = Group(organization_id=org.organization_id, name=f"group-{unique_key().lower()}")
            session.add(group)
            await session.flush()
            session.add_all([GroupMember(organization_id=org.organization_id, group_id=group.id, user_id=user_id)
                             for user_id in members])
            return group.id
    finally:
        await database.dispose()


def make_group(database_url: str, org: OrgHandle, members: list[int]) -> int:
    """Groups come from imports and directory sync; no endpoint makes one."""
    return asyncio.run(_make_group_async(database_url, org, members))


def _scheme(client: TestClient, org: OrgHandle, grants: list[dict]) -> dict:
    response = client.post("/v2/permission-schemes", headers=org.headers,
                           json={"name": f"Scheme {unique_key()}", "grants": grants})
    assert response.status_code == 201, response.text
    return response.json()


def _assign(client: TestClient, org: OrgHandle, project: dict, scheme: dict) -> None:
    response = client.put(f"/v2/projects/{project['id']}/permission-scheme", headers=org.headers,
                          json={"scheme_id": scheme["id"]})
    assert response.status_code == 200, response.text


def _grant(permission: str, kind: str, parameter: object = None) -> dict:
    return {"permission": permission, "holder": {"type": kind, "parameter": parameter}}


@dataclass
class World:
    org: OrgHandle
    project: dict
    stranger: UserHandle  # a member with no role, group, field or issue of their own
    users: dict[str, UserHandle]  # holder type -> the user it names
    parameters: dict[str, object]
    field_key: str


@pytest.fixture
def world(client: TestClient, database_url: str, org: OrgHandle) -> World:
    project = client.post("/v2/projects", headers=org.headers,
                          json={"key": unique_key("M")[:10], "name": "Matrix"}).json()
    users = {kind: make_user(database_url, org, role="viewer" if kind == "org_role" else "member")
             for kind in ("anyone", "org_role", "project_role", "group", "user", "reporter", "assignee",
                          "project_lead", "user_field")}
    stranger = make_user(database_url, org)
    assert client.put(f"/v2/projects/{project['id']}/roles/users", headers=org.headers,
                      json={"user_ids": [users["project_role"].user_id]}).status_code == 200
    lead = client.put(f"/v2/projects/{project['id']}", headers=org.headers,
                      json={"lead_id": users["project_lead"].user_id})
    assert lead.status_code == 200, lead.text
    field = client.post("/v2/fields", headers=org.headers,
                        json={"name": f"Approver {unique_key()}", "field_type": "user"})
    assert field.status_code == 201, field.text
    group_id = make_group(database_url, org, [users["group"].user_id])
    parameters = {"org_role": "viewer", "project_role": "users", "group": group_id,
                  "user": users["user"].user_id, "user_field": field.json()["id"]}
    return World(org, project, stranger, users, parameters, field.json()["key"])


def _issue(client: TestClient, world: World) -> dict:
    response = client.post("/v2/issues", headers=world.org.headers, json={
        "project_id": world.project["id"], "issue_type": "Task", "summary": "Matrix issue",
        "reporter_id": world.users["reporter"].user_id, "assignee_id": world.users["assignee"].user_id,
        "custom_fields": {world.field_key: world.users["user_field"].user_id}})
    assert response.status_code == 201, response.text
    return response.json()


def _done_transition(client: TestClient, world: World, issue: dict) -> str:
    listed = client.get(f"/v2/issues/{issue['id']}/transitions", headers=world.org.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    transitions = body["transitions"] if isinstance(body, dict) else body
    return next(t["id"] for t in transitions if t["to"]["category"] == "done")


TRANSPORTS = ("rest", "jira", "graphql")
MATRIX_PERMISSIONS = ("BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "ADD_COMMENTS", "DELETE_ISSUES",
                      "ADMINISTER_PROJECTS", "ASSIGNABLE_USER", "RESOLVE_ISSUES", "CLOSE_ISSUES")
# GraphQL neither deletes issues nor administers projects.
UNSUPPORTED = {"graphql": {"DELETE_ISSUES", "ADMINISTER_PROJECTS"}}
# Questions about the project, not one issue: reporter, assignee and user field holders never answer them.
PROJECT_LEVEL = {"BROWSE_PROJECTS", "CREATE_ISSUES", "ADMINISTER_PROJECTS", "ASSIGNABLE_USER"}
# Each attempt changes or consumes its issue: a fresh one each time (made before the schemes change).
FRESH_ISSUE = {"DELETE_ISSUES", "ASSIGNABLE_USER", "RESOLVE_ISSUES", "CLOSE_ISSUES"}
ISSUE_HOLDERS = {"reporter", "assignee", "user_field"}


@dataclass
class Outcome:
    allowed: bool
    detail: object  # the status or GraphQL error code, for the failure message


def _rest(response) -> Outcome:  # type: ignore[no-untyped-def]
    return Outcome(200 <= response.status_code < 300, response.status_code)


def _graphql(client: TestClient, headers: dict, query: str, variables: dict, field: str) -> Outcome:
    response = client.post("/graphql", headers=headers, json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        codes = [error["extensions"]["code"] for error in body["errors"]]
        assert set(codes) <= {"FORBIDDEN", "NOT_FOUND", "BAD_INPUT"}, body
        return Outcome(False, codes)
    return Outcome(body["data"][field] is not None, "data")


def _attempt(client: TestClient, world: World, transport: str, permission: str, user: UserHandle,
             issue: dict, done: str) -> Outcome:
    """`user` tries what `permission` allows, through `transport`; for ASSIGNABLE_USER the
    administrator tries to make `user` the assignee."""
    headers, project = user.headers, world.project
    if transport == "rest":
        if permission == "CREATE_ISSUES":
            return _rest(client.post("/v2/issues", headers=headers, json={
                "project_id": project["id"], "issue_type": "Task", "summary": "made"}))
        if permission == "ADMINISTER_PROJECTS":
            return _rest(client.put(f"/v2/projects/{project['id']}", headers=headers, json={"description": "changed"}))
        if permission == "BROWSE_PROJECTS":
            return _rest(client.get(f"/v2/issues/{issue['key']}", headers=headers))
        if permission == "EDIT_ISSUES":
            return _rest(client.put(f"/v2/issues/{issue['id']}", headers=headers, json={"summary": "edited"}))
        if permission == "ADD_COMMENTS":
            return _rest(client.post(f"/v2/issues/{issue['id']}/comments", headers=headers, json={"body": "hello"}))
        if permission == "DELETE_ISSUES":
            return _rest(client.delete(f"/v2/issues/{issue['id']}", headers=headers))
        if permission == "ASSIGNABLE_USER":
            return _rest(client.put(f"/v2/issues/{issue['id']}", headers=world.org.headers,
                                    json={"assignee_id": user.user_id}))
        return _rest(client.post(f"/v2/issues/{issue['id']}/transitions/{done}", headers=headers))
    if transport == "jira":
        api = "/rest/api/2"
        if permission == "CREATE_ISSUES":
            return _rest(client.post(f"{api}/issue", headers=headers, json={"fields": {
                "project": {"id": str(project["id"])}, "issuetype": {"name": "Task"}, "summary": "made"}}))
        if permission == "ADMINISTER_PROJECTS":
            return _rest(client.put(f"{api}/project/{project['key']}", headers=headers,
                                    json={"description": "changed"}))
        if permission == "BROWSE_PROJECTS":
            return _rest(client.get(f"{api}/issue/{issue['key']}", headers=headers))
        if permission == "EDIT_ISSUES":
            return _rest(client.put(f"{api}/issue/{issue['key']}", headers=headers,
                                    json={"fields": {"summary": "edited"}}))
        if permission == "ADD_COMMENTS":
            return _rest(client.post(f"{api}/issue/{issue['key']}/comment", headers=headers, json={"body": "hello"}))
        if permission == "DELETE_ISSUES":
            return _rest(client.delete(f"{api}/issue/{issue['key']}", headers=headers))
        if permission == "ASSIGNABLE_USER":
            return _rest(client.put(f"{api}/issue/{issue['key']}/assignee", headers=world.org.headers,
                                    json={"name": user.email}))
        return _rest(client.post(f"{api}/issue/{issue['key']}/transitions", headers=headers,
                                 json={"transition": {"id": done}}))
    if permission == "CREATE_ISSUES":
        return _graphql(client, headers, 'mutation($p: ID!) { createIssue(input: {projectId: $p, issueType: "Task", '
                        'summary: "made"}) { id } }', {"p": str(project["id"])}, "createIssue")
    if permission == "BROWSE_PROJECTS":
        return _graphql(client, headers, "query($id: ID!) { issue(id: $id) { id } }", {"id": issue["key"]}, "issue")
    if permission == "EDIT_ISSUES":
        return _graphql(client, headers, 'mutation($id: ID!) { updateIssue(id: $id, input: {summary: "edited"}) '
                        "{ id } }", {"id": issue["key"]}, "updateIssue")
    if permission == "ADD_COMMENTS":
        return _graphql(client, headers, 'mutation($id: ID!) { addComment(issueId: $id, body: "hello") { id } }',
                        {"id": issue["key"]}, "addComment")
    if permission == "ASSIGNABLE_USER":
        return _graphql(client, world.org.headers, "mutation($id: ID!, $u: ID!) { updateIssue(id: $id, "
                        "input: {assigneeId: $u}) { id } }", {"id": issue["key"], "u": str(user.user_id)},
                        "updateIssue")
    return _graphql(client, headers, "mutation($id: ID!, $t: String!) { transitionIssue(id: $id, transition: $t) "
                    "{ id } }", {"id": issue["key"], "t": str(done)}, "transitionIssue")


def _round_grants(permission: str, kind: str, parameter: object) -> list[dict]:
    """`permission` to the holder alone; what the attempt needs besides it, to anyone signed in."""
    grants = [_grant(permission, kind, parameter)]
    if permission != "BROWSE_PROJECTS":
        grants.append(_grant("BROWSE_PROJECTS", "anyone"))
    if permission in ("RESOLVE_ISSUES", "CLOSE_ISSUES"):  # a move into Done both closes and resolves
        grants += [_grant("TRANSITION_ISSUES", "anyone"),
                   _grant("CLOSE_ISSUES" if permission == "RESOLVE_ISSUES" else "RESOLVE_ISSUES", "anyone")]
    return grants


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_permission_matrix_every_holder_type(client: TestClient, world: World, transport: str) -> None:
    """Each holder type granted each permission alone (with what the attempt needs besides to
    anyone signed in), through /v2, the Jira API and GraphQL: its user is allowed, a member it
    does not name is refused. Issue-level holders (reporter, assignee, user field) grant only
    what is about an issue; who may be assigned is about the project (as Jira's assignable
    search), so they are not asked it."""
    permissions = [p for p in MATRIX_PERMISSIONS if p not in UNSUPPORTED.get(transport, set())]
    rounds = [(kind, permission) for kind in world.users for permission in permissions
              if not (permission == "ASSIGNABLE_USER" and kind in ISSUE_HOLDERS)]
    shared = _issue(client, world)
    done = _done_transition(client, world, shared)
    # Made under the default scheme, before any restrictive one: making an issue with an assignee
    # needs the assignee to be assignable.
    fresh = iter([_issue(client, world) for kind, permission in rounds if permission in FRESH_ISSUE
                  for _ in range(1 if kind == "anyone" else 2)])
    outcomes = {}
    for kind, permission in rounds:
        holder_user = world.users[kind]
        _assign(client, world.org, world.project,
                _scheme(client, world.org, _round_grants(permission, kind, world.parameters.get(kind))))
        expect_allowed = not (kind in ISSUE_HOLDERS and permission in PROJECT_LEVEL)
        issue = next(fresh) if permission in FRESH_ISSUE else shared
        outcome = _attempt(client, world, transport, permission, holder_user, issue, done)
        outcomes[(kind, permission, "holder")] = (outcome.allowed, expect_allowed, outcome.detail)
        if kind != "anyone":  # everyone signed in is "anyone": no member outside it
            issue = next(fresh) if permission in FRESH_ISSUE else shared
            outcome = _attempt(client, world, transport, permission, world.stranger, issue, done)
            outcomes[(kind, permission, "stranger")] = (outcome.allowed, False, outcome.detail)
            if transport != "graphql":
                assert outcome.detail in (403, 404, 400), (kind, permission, outcome.detail)
    wrong = {key: value for key, value in outcomes.items() if value[0] != value[1]}
    assert not wrong, wrong


def test_reporter_only_edit(client: TestClient, database_url: str, org: OrgHandle) -> None:
    """"Edit own issues": EDIT_ISSUES granted to the reporter only."""
    project = client.post("/v2/projects", headers=org.headers, json={"key": unique_key("O")[:10], "name": "Own"}).json()
    alice, bob = make_user(database_url, org), make_user(database_url, org)
    scheme = _scheme(client, org, [_grant("BROWSE_PROJECTS", "org_role", "member"),
                                   _grant("CREATE_ISSUES", "org_role", "member"), _grant("EDIT_ISSUES", "reporter")])
    _assign(client, org, project, scheme)
    mine = client.post("/v2/issues", headers=alice.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Alice's"}).json()
    assert client.put(f"/v2/issues/{mine['id']}", headers=alice.headers, json={"summary": "ok"}).status_code == 200
    refused = client.put(f"/v2/issues/{mine['id']}", headers=bob.headers, json={"summary": "no"})
    assert refused.status_code == 403 and "EDIT_ISSUES" in refused.json()["error"]["message"]
    # The scheme grants no VIEW_VOTERS_AND_WATCHERS: the count shows, the names do not.
    watchers = client.get(f"/v2/issues/{mine['id']}/watchers", headers=bob.headers).json()
    assert watchers["watch_count"] >= 1 and watchers["watchers"] == []
    assert client.get(f"/v2/issues/{mine['id']}/watchers", headers=org.headers).json()["watchers"]
    held = client.get(f"/rest/api/2/mypermissions?issueKey={mine['key']}&permissions=EDIT_ISSUES",
                      headers=alice.headers).json()
    assert held["permissions"]["EDIT_ISSUES"]["havePermission"] is True
    held = client.get(f"/rest/api/2/mypermissions?issueKey={mine['key']}&permissions=EDIT_ISSUES",
                      headers=bob.headers).json()
    assert held["permissions"]["EDIT_ISSUES"]["havePermission"] is False


def test_restrictive_scheme_denies_through_rest_jira_and_pages(client: TestClient, database_url: str,
                                                                 org: OrgHandle, member: UserHandle) -> None:
    key = unique_key("R")[:10]
    project = client.post("/v2/projects", headers=org.headers, json={"key": key, "name": "Locked"}).json()
    issue = client.post("/v2/issues", headers=org.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Locked away"}).json()
    found = client.post("/v2/search", headers=member.headers, json={"jql": f"project = {key}"})
    assert found.status_code == 200 and found.json()["total"] == 1, found.text
    # Browsing by project administrators only; the member can no longer see any of it.
    _assign(client, org, project, _scheme(client, org, [_grant("BROWSE_PROJECTS", "project_role", "administrators")]))
    assert client.get(f"/v2/issues/{issue['key']}", headers=member.headers).status_code == 404
    assert client.get(f"/v2/projects/{key}", headers=member.headers).status_code == 404
    assert project["id"] not in {p["id"] for p in client.get("/v2/projects", headers=member.headers).json()["projects"]}
    assert client.post("/v2/search", headers=member.headers, json={"jql": "summary ~ Locked"}).json()["total"] == 0
    assert client.get(f"/rest/api/2/issue/{issue['key']}", headers=member.headers).status_code == 404
    assert client.get(f"/rest/api/2/project/{key}", headers=member.headers).status_code == 404
    jql = client.get("/rest/api/2/search", headers=member.headers, params={"jql": "summary ~ Locked"})
    assert jql.status_code == 200 and jql.json()["total"] == 0
    try:
        sign_in_as(client, database_url, member)
        assert client.get(f"/browse/{issue['key']}").status_code == 404
    finally:
        client.cookies.clear()
    # The admin still sees everything, and the project's scheme says why the member does not.
    assert client.get(f"/v2/issues/{issue['key']}", headers=org.headers).status_code == 200
    shown = client.get(f"/rest/api/2/project/{key}/permissionscheme?expand=permissions", headers=org.headers).json()
    assert [g["holder"] for g in shown["permissions"]] == [
        {"type": "projectRole", "parameter": "10002", "value": "10002"}]


def test_scheme_crud_errors_and_audit(client: TestClient, database_url: str, org: OrgHandle,
                                      member: UserHandle) -> None:
    listed = client.get("/v2/permission-schemes", headers=member.headers)
    assert listed.status_code == 200
    default = next(s for s in listed.json()["permission_schemes"] if s["is_default"])
    assert default["name"] == "Default Permission Scheme"
    assert {"permission": "EDIT_ISSUES", "holder": {"type": "org_role", "parameter": "member", "name": None}} in \
        [{k: g[k] for k in ("permission", "holder")} for g in default["grants"]]
    # Writes are the organization administrators'.
    assert client.post("/v2/permission-schemes", headers=member.headers, json={"name": "Mine"}).status_code == 403
    bad = [({"name": ""}, "name"),
           ({"name": "X", "grants": [{"permission": "FLY", "holder": {"type": "anyone"}}]}, "grants.0.permission"),
           ({"name": "X", "grants": [{"permission": "EDIT_ISSUES", "holder": {"type": "martian"}}]},
            "grants.0.holder.type"),
           ({"name": "X", "grants": [_grant("EDIT_ISSUES", "org_role", "emperor")]}, "grants.0.holder.parameter"),
           ({"name": "X", "grants": [_grant("EDIT_ISSUES", "group", "no such group")]}, "grants.0.holder.parameter"),
           ({"name": "X", "grants": [_grant("EDIT_ISSUES", "reporter", "someone")]}, "grants.0.holder.parameter"),
           ({"name": "X", "grants": [_grant("EDIT_ISSUES", "user", 999999999)]}, "grants.0.holder.parameter"),
           ({"name": "X", "grants": [_grant("EDIT_ISSUES", "user_field", "nope")]}, "grants.0.holder.parameter")]
    for body, field in bad:
        response = client.post("/v2/permission-schemes", headers=org.headers, json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert field.split(".")[0] in response.text and (response.status_code == 422 or
                                                          response.json()["error"]["field"] == field), response.text
    created = _scheme(client, org, [_grant("BROWSE_PROJECTS", "anyone")])
    clash = client.post("/v2/permission-schemes", headers=org.headers, json={"name": created["name"]})
    assert clash.status_code == 409 and clash.json()["error"]["field"] == "name"
    renamed = client.put(f"/v2/permission-schemes/{created['id']}", headers=org.headers,
                         json={"name": f"Renamed {unique_key()}", "description": "Narrow"})
    assert renamed.status_code == 200 and renamed.json()["description"] == "Narrow"
    assert len(renamed.json()["grants"]) == 1
    added = client.post(f"/v2/permission-schemes/{created['id']}/grants", headers=org.headers,
                        json=_grant("EDIT_ISSUES", "reporter"))
    assert added.status_code == 201, added.text
    again = client.post(f"/v2/permission-schemes/{created['id']}/grants", headers=org.headers,
                        json=_grant("EDIT_ISSUES", "reporter"))
    assert again.status_code == 409
    gone = client.delete(f"/v2/permission-schemes/{created['id']}/grants/{added.json()['id']}", headers=org.headers)
    assert gone.status_code == 204
    project = client.post("/v2/projects", headers=org.headers, json={"key": unique_key("C")[:10], "name": "C"}).json()
    assert client.get(f"/v2/projects/{project['id']}/permission-scheme", headers=org.headers).json()["id"] == \
        default["id"]
    _assign(client, org, project, created)
    in_use = client.delete(f"/v2/permission-schemes/{created['id']}", headers=org.headers)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "scheme_in_use"
    assert client.delete(f"/v2/permission-schemes/{default['id']}", headers=org.headers).status_code == 409
    unknown = client.put(f"/v2/projects/{project['id']}/permission-scheme", headers=org.headers,
                         json={"scheme_id": 999999999})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "scheme_id"
    _assign(client, org, project, default)
    assert client.delete(f"/v2/permission-schemes/{created['id']}", headers=org.headers).status_code == 204
    assert client.get(f"/v2/permission-schemes/{created['id']}", headers=org.headers).status_code == 404
    actions = [row["action"] for row in fetch_rows(
        database_url, "SELECT action FROM audit_records WHERE organization_id = :org ORDER BY sequence",
        {"org": org.organization_id})]
    for action in ("permission_scheme.created", "permission_scheme.updated", "permission_scheme.grant_added",
                   "permission_scheme.grant_removed", "project.permission_scheme_assigned",
                   "permission_scheme.deleted"):
        assert action in actions, action


def test_jira_permission_scheme_api(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    api = "/rest/api/2"
    listed = client.get(f"{api}/permissionscheme", headers=org.headers).json()["permissionSchemes"]
    assert listed[0]["name"] == "Default Permission Scheme" and "permissions" not in listed[0]
    created = client.post(f"{api}/permissionscheme", headers=org.headers, json={
        "name": f"Jira {unique_key()}", "description": "From a Jira client", "permissions": [
            {"holder": {"type": "projectRole", "parameter": "10001"}, "permission": "EDIT_ISSUES"},
            {"holder": {"type": "applicationRole"}, "permission": "BROWSE_PROJECTS"}]})
    assert created.status_code == 201, created.text
    scheme = created.json()
    assert {(g["holder"]["type"], g["permission"]) for g in scheme["permissions"]} == {
        ("projectRole", "EDIT_ISSUES"), ("applicationRole", "BROWSE_PROJECTS")}
    got = client.get(f"{api}/permissionscheme/{scheme['id']}?expand=permissions", headers=org.headers).json()
    assert len(got["permissions"]) == 2
    grant = client.post(f"{api}/permissionscheme/{scheme['id']}/permission", headers=org.headers,
                        json={"holder": {"type": "reporter"}, "permission": "DELETE_ISSUES"})
    assert grant.status_code == 201 and grant.json()["holder"] == {"type": "reporter"}
    one = client.get(f"{api}/permissionscheme/{scheme['id']}/permission/{grant.json()['id']}", headers=org.headers)
    assert one.json()["permission"] == "DELETE_ISSUES"
    assert len(client.get(f"{api}/permissionscheme/{scheme['id']}/permission",
                          headers=org.headers).json()["permissions"]) == 3
    bad = client.post(f"{api}/permissionscheme/{scheme['id']}/permission", headers=org.headers,
                      json={"holder": {"type": "projectRole", "parameter": "77"}, "permission": "EDIT_ISSUES"})
    assert bad.status_code == 400 and "holder" in bad.text
    assert client.delete(f"{api}/permissionscheme/{scheme['id']}/permission/{grant.json()['id']}",
                         headers=org.headers).status_code == 204
    updated = client.put(f"{api}/permissionscheme/{scheme['id']}", headers=org.headers, json={
        "name": scheme["name"], "permissions": [{"holder": {"type": "anyone"}, "permission": "BROWSE_PROJECTS"}]})
    assert updated.status_code == 200 and len(updated.json()["permissions"]) == 1
    key = unique_key("J")[:10]
    client.post("/v2/projects", headers=org.headers, json={"key": key, "name": "Jira side"})
    assert client.get(f"{api}/project/{key}/permissionscheme", headers=org.headers).json()["id"] == listed[0]["id"]
    assigned = client.put(f"{api}/project/{key}/permissionscheme", headers=org.headers, json={"id": scheme["id"]})
    assert assigned.status_code == 200 and assigned.json()["id"] == scheme["id"]
    assert client.put(f"{api}/project/{key}/permissionscheme", headers=member.headers,
                      json={"id": scheme["id"]}).status_code == 403
    # The member browses (anyone) but holds nothing else here: mypermissions answers from the scheme.
    mine = client.get(f"{api}/mypermissions?projectKey={key}", headers=member.headers).json()["permissions"]
    assert mine["BROWSE_PROJECTS"]["havePermission"] is True
    assert mine["CREATE_ISSUES"]["havePermission"] is False
    assert mine["USER_PICKER"]["havePermission"] is True and mine["USER_PICKER"]["type"] == "GLOBAL"
    assert client.delete(f"{api}/permissionscheme/{scheme['id']}", headers=org.headers).status_code == 409
    # Jira's project creation may name the scheme.
    other_key = unique_key("K")[:10]
    made = client.post(f"{api}/project", headers=org.headers, json={
        "key": other_key, "name": "Made with a scheme", "projectTypeKey": "software", "permissionScheme": scheme["id"]})
    assert made.status_code == 201, made.text
    assert client.get(f"{api}/project/{other_key}/permissionscheme", headers=org.headers).json()["id"] == scheme["id"]
    for project_key in (key, other_key):
        client.put(f"{api}/project/{project_key}/permissionscheme", headers=org.headers, json={"id": listed[0]["id"]})
    assert client.delete(f"{api}/permissionscheme/{scheme['id']}", headers=org.headers).status_code == 204


def test_global_permissions(client: TestClient, database_url: str, org: OrgHandle, member: UserHandle,
                            viewer: UserHandle) -> None:
    grants = client.get("/v2/global-permissions", headers=org.headers).json()["grants"]
    assert {(g["permission"], g["holder"]["parameter"]) for g in grants} >= {
        ("ADMINISTER", "admin"), ("CREATE_PROJECT", "admin"), ("USER_PICKER", "viewer"), ("BULK_CHANGE", "member")}
    new_project = {"key": unique_key("G")[:10], "name": "By a member"}
    assert client.post("/v2/projects", headers=member.headers, json=new_project).status_code == 403
    group = make_group(database_url, org, [member.user_id])
    granted = client.post("/v2/global-permissions", headers=org.headers,
                          json={"permission": "CREATE_PROJECT", "holder": {"type": "group", "parameter": group}})
    assert granted.status_code == 201, granted.text
    assert client.post("/v2/projects", headers=member.headers, json=new_project).status_code == 201
    assert client.post("/v2/global-permissions", headers=member.headers, json={
        "permission": "CREATE_PROJECT", "holder": {"type": "org_role", "parameter": "viewer"}}).status_code == 403
    bad = client.post("/v2/global-permissions", headers=org.headers,
                      json={"permission": "EDIT_ISSUES", "holder": {"type": "org_role", "parameter": "viewer"}})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "permission"
    # Viewers lose browsing users and groups when their grant goes.
    assert client.get("/v2/users", headers=viewer.headers).status_code == 200
    picker = next(g for g in grants if g["permission"] == "USER_PICKER" and g["holder"]["parameter"] == "viewer")
    assert client.delete(f"/v2/global-permissions/{picker['id']}", headers=org.headers).status_code == 204
    assert client.get("/v2/users", headers=viewer.headers).status_code == 403
    assert client.get("/rest/api/2/user/search?username=a", headers=viewer.headers).status_code == 403
    actions = {row["action"] for row in fetch_rows(
        database_url, "SELECT action FROM audit_records WHERE organization_id = :org", {"org": org.organization_id})}
    assert {"global_permission.granted", "global_permission.revoked"} <= actions


@pytest.fixture
def second_app(settings: Settings) -> Iterator[TestClient]:
    """Another server process's app on the same database (its own caches and principals)."""
    with TestClient(create_app(settings)) as other:
        yield other


def test_scheme_change_reaches_another_instance(client: TestClient, second_app: TestClient, database_url: str,
                                                org: OrgHandle) -> None:
    member = make_user(database_url, org, password=None)
    key = unique_key("X")[:10]
    project = client.post("/v2/projects", headers=org.headers, json={"key": key, "name": "Two apps"}).json()
    issue = client.post("/v2/issues", headers=org.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Seen twice"}).json()
    try:
        sign_in_as(second_app, database_url, member)  # sessions are read per request: no principal cache
        assert second_app.get(f"/browse/{issue['key']}").status_code == 200
        _assign(client, org, project, _scheme(client, org, [_grant("BROWSE_PROJECTS", "org_role", "viewer")]))
        assert second_app.get(f"/browse/{issue['key']}").status_code == 404
        scheme = client.get(f"/v2/projects/{project['id']}/permission-scheme", headers=org.headers).json()
        client.post(f"/v2/permission-schemes/{scheme['id']}/grants", headers=org.headers,
                    json=_grant("BROWSE_PROJECTS", "user", member.user_id))
        assert second_app.get(f"/browse/{issue['key']}").status_code == 200
    finally:
        second_app.cookies.clear()


def test_issue_guards_hide_an_issue_after_the_scheme_allows_it(client: TestClient, org: OrgHandle,
                                                               member: UserHandle) -> None:
    """The hook issue security levels will use: a guard refusing an issue makes it missing, for
    administrators too, while the project's other issues stay visible."""
    from tessera.tenancy import permissions

    project = client.post("/v2/projects", headers=org.headers, json={"key": unique_key("H")[:10], "name": "H"}).json()
    hidden, shown = (client.post("/v2/issues", headers=org.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": summary}).json() for summary in ("a", "b"))

    async def guard(session, actor, project, issue) -> bool:  # type: ignore[no-untyped-def]
        return issue.id != hidden["id"]

    permissions.ISSUE_GUARDS.append(guard)
    try:
        for user in (member, org):
            assert client.get(f"/v2/issues/{hidden['key']}", headers=user.headers).status_code == 404
            assert client.get(f"/v2/issues/{shown['key']}", headers=user.headers).status_code == 200
    finally:
        permissions.ISSUE_GUARDS.remove(guard)
    assert client.get(f"/v2/issues/{hidden['key']}", headers=member.headers).status_code == 200
