"""Issue security levels through every surface: an issue at a level its viewer is not a member of
is invisible (as if missing) in /v2 GET and search (results and total), the Jira API (get,
search, picker), GraphQL, boards and backlog, a dashboard count, the links and sub-tasks of a
visible issue, autocomplete, the web pages, webhooks, notifications and live updates, sprints (their issues,
scope record, moves, completion, burndown and velocity, GraphQL's burndown), a board card's epic,
mention suggestions, the choice of a parent and mail replies; a member,
the organization administrator and reporter/assignee holders see it; SET_ISSUE_SECURITY and
level membership are enforced when setting a level; JQL `level`; the scheme API audited and
walled in by organization."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.integrations.mail_in.replies import reply_address
from tessera.issues.models import Issue
from tessera.live.access import AccessCache
from tessera.notifications.email.message import thread_id
from tessera.notifications.recipients import permitted
from tessera.projects.models import Project
from tessera.webhooks.owners import matching_issues, owner_actor
from tests.factories.boards import add_to_sprint, backlog_keys, columns, new_board, new_sprint
from tests.factories.dashboards import data, gadget, new_dashboard
from tests.factories.web import sign_in_as
from tests.integrations.mail_in.conftest import mail, project_address, running_mail_in
from tests.support import OrgHandle, UserHandle, fetch_rows, make_user, unique_key

API = "/rest/api/2"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@dataclass
class World:
    org: OrgHandle
    project: dict
    scheme: dict
    levels: dict[str, int]  # name -> id
    insider: UserHandle  # a member of "Secret"
    outsider: UserHandle  # a member of the organization in no level
    reporter: UserHandle
    assignee: UserHandle
    project_admin: UserHandle  # holds SET_ISSUE_SECURITY (project administrators), not in "Secret"
    visible: dict  # no level
    hidden: dict  # at "Secret", a sub-task of `visible` and linked from it
    own: dict  # at "Own": visible to its reporter and assignee


def _issue(client: TestClient, headers: dict, project: dict, summary: str, **fields: Any) -> dict:
    return ok(client.post("/v2/issues", headers=headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": summary, **fields}), 201)


@pytest.fixture
def world(client: TestClient, database_url: str, org: OrgHandle) -> World:
    h = org.headers
    project = ok(client.post("/v2/projects", headers=h, json={"key": unique_key("S")[:10], "name": "Secure"}), 201)
    insider, outsider, reporter, assignee, project_admin = (make_user(database_url, org) for _ in range(5))
    ok(client.put(f"/v2/projects/{project['id']}/roles/administrators", headers=h,
                  json={"user_ids": [org.admin_user_id, project_admin.user_id]}))
    scheme = ok(client.post("/v2/issue-security-schemes", headers=h, json={
        "name": f"Security {unique_key()}", "description": "Who sees what",
        "levels": [{"name": "Secret", "members": [{"type": "user", "parameter": insider.user_id}]},
                   {"name": "Own", "members": [{"type": "reporter"}, {"type": "assignee"}]},
                   {"name": "Admins", "members": [{"type": "project_role", "parameter": "administrators"}]}]}),
        201)
    levels = {level["name"]: level["id"] for level in scheme["levels"]}
    ok(client.put(f"/v2/projects/{project['id']}/issue-security-scheme", headers=h, json={"scheme_id": scheme["id"]}))
    visible = _issue(client, h, project, "Visible parent", labels=["shared"])
    hidden = _issue(client, h, project, "Hush merger plan", issue_type="Sub-task", parent_id=visible["key"],
                    security_level="Secret", labels=["hushlabel"])
    ok(client.post("/v2/issue-links", headers=h, json={"type": "blocks", "outward_issue": visible["key"],
                                                        "inward_issue": hidden["key"]}), 201)
    own = _issue(client, h, project, "Own business", security_level={"id": levels["Own"]},
                 reporter_id=reporter.user_id, assignee_id=assignee.user_id)
    return World(org, project, scheme, levels, insider, outsider, reporter, assignee, project_admin, visible, hidden,
                 own)


def _keys(client: TestClient, headers: dict, jql: str) -> tuple[int, list[str]]:
    page = ok(client.get("/v2/search", params={"jql": jql, "fields": "key"}, headers=headers))
    return page["total"], sorted(issue["key"] for issue in page["issues"])


def test_the_level_is_set_shown_and_searched_by(client: TestClient, world: World) -> None:
    h, w = world.org.headers, world
    shown = ok(client.get(f"/v2/issues/{w.hidden['key']}", headers=h))
    assert shown["security_level"] == {"id": w.levels["Secret"], "name": "Secret"}
    assert ok(client.get(f"/v2/issues/{w.visible['key']}", headers=h))["security_level"] is None
    project = w.project["key"]
    assert _keys(client, h, f"project = {project} AND level = Secret") == (1, [w.hidden["key"]])
    assert _keys(client, h, f"project = {project} AND level IN (Secret, Own)")[0] == 2
    assert _keys(client, h, f"project = {project} AND level IS EMPTY") == (1, [w.visible["key"]])
    assert _keys(client, h, f"project = {project} AND level IS NOT EMPTY")[0] == 2
    unknown = client.get("/v2/search", params={"jql": "level = Nowhere"}, headers=h)
    assert unknown.status_code == 400 and "Nowhere" in unknown.text
    # The change is in the issue's history as Jira names it.
    jira = ok(client.get(f"{API}/issue/{w.hidden['key']}", headers=h))
    assert jira["fields"]["security"]["name"] == "Secret" and jira["fields"]["security"]["id"] == str(
        w.levels["Secret"])
    ok(client.put(f"/v2/issues/{w.hidden['id']}", headers=h, json={"security_level": "Admins"}))
    changelog = ok(client.get(f"{API}/issue/{w.hidden['key']}", params={"expand": "changelog"}, headers=h))
    items = [item for history in changelog["changelog"]["histories"] for item in history["items"]]
    assert {"field": "security", "fromString": "Secret", "toString": "Admins"}.items() <= next(
        item for item in items if item["field"] == "security").items()


def test_a_hidden_issue_is_missing_for_an_outsider_through_rest_jira_and_graphql(client: TestClient,
                                                                                  world: World) -> None:
    w = world
    project = w.project["key"]
    for key in (w.hidden["key"], str(w.hidden["id"]), w.own["key"]):
        missing = client.get(f"/v2/issues/{key}", headers=w.outsider.headers)
        assert missing.status_code == 404, missing.text
        assert client.get(f"{API}/issue/{key}", headers=w.outsider.headers).status_code == 404
    # Acting on it reads as missing too.
    assert client.post(f"/v2/issues/{w.hidden['id']}/comments", headers=w.outsider.headers,
                       json={"body": "peek"}).status_code == 404
    # Search: results and total.
    assert _keys(client, w.outsider.headers, f"project = {project}") == (1, [w.visible["key"]])
    assert _keys(client, w.outsider.headers, f"project = {project} AND labels = shared") == (1, [w.visible["key"]])
    # A hidden issue named in a query is as unknown as a missing one.
    named = client.get("/v2/search", params={"jql": f"parent = {w.hidden['key']}"}, headers=w.outsider.headers)
    assert named.status_code == 400
    jira = ok(client.get(f"{API}/search", params={"jql": f"project = {project}"}, headers=w.outsider.headers))
    assert jira["total"] == 1 and [i["key"] for i in jira["issues"]] == [w.visible["key"]]
    count = ok(client.get(f"{API}/search", params={"jql": f"project = {project}", "maxResults": 0},
                          headers=w.outsider.headers))
    assert count["total"] == 1
    picker = ok(client.get(f"{API}/issue/picker", params={"query": "Hush"}, headers=w.outsider.headers))
    assert "Hush" not in str(picker) and w.hidden["key"] not in str(picker)
    assert w.hidden["key"] in str(ok(client.get(f"{API}/issue/picker", params={"query": "Hush"},
                                                headers=w.insider.headers)))
    search = "query($jql: String!) { issues(jql: $jql) { totalCount nodes { key } } }"
    graph = client.post("/graphql", headers=w.outsider.headers,
                        json={"query": search, "variables": {"jql": f"project = {project}"}}).json()
    assert graph["data"]["issues"]["totalCount"] == 1
    assert [n["key"] for n in graph["data"]["issues"]["nodes"]] == [w.visible["key"]]
    one = client.post("/graphql", headers=w.outsider.headers, json={
        "query": "query($id: ID!) { issue(id: $id) { summary } }", "variables": {"id": w.hidden["key"]}}).json()
    assert (one.get("data") or {}).get("issue") is None and "Hush" not in str(one)


def test_links_sub_tasks_labels_and_autocomplete_leave_it_out(client: TestClient, world: World) -> None:
    w = world
    seen_by_outsider = ok(client.get(f"/v2/issues/{w.visible['key']}", headers=w.outsider.headers))
    assert seen_by_outsider["subtasks"] == [] and seen_by_outsider["links"] == []
    seen_by_insider = ok(client.get(f"/v2/issues/{w.visible['key']}", headers=w.insider.headers))
    assert [s["key"] for s in seen_by_insider["subtasks"]] == [w.hidden["key"]]
    assert [link["issue"]["key"] for link in seen_by_insider["links"]] == [w.hidden["key"]]
    jira = ok(client.get(f"{API}/issue/{w.visible['key']}", headers=w.outsider.headers))
    assert jira["fields"]["subtasks"] == [] and jira["fields"]["issuelinks"] == []
    labels = ok(client.get("/v2/jql/autocomplete", params={"field": "labels", "value": "hush"},
                           headers=w.outsider.headers))
    assert labels["results"] == []
    assert [r["value"] for r in ok(client.get("/v2/jql/autocomplete", params={"field": "labels", "value": "hush"},
                                              headers=w.insider.headers))["results"]] == ["hushlabel"]
    levels = ok(client.get("/v2/jql/autocomplete", params={"field": "level"}, headers=w.outsider.headers))
    assert {r["display"] for r in levels["results"]} >= {"Secret", "Own"}


def test_members_admins_reporters_and_assignees_see_it(client: TestClient, world: World) -> None:
    w = world
    project = w.project["key"]
    assert ok(client.get(f"/v2/issues/{w.hidden['key']}", headers=w.insider.headers))["summary"] == "Hush merger plan"
    assert _keys(client, w.insider.headers, f"project = {project}") == (2, sorted([w.visible["key"],
                                                                                   w.hidden["key"]]))
    assert _keys(client, w.org.headers, f"project = {project}")[0] == 3
    for user in (w.reporter, w.assignee):
        assert ok(client.get(f"/v2/issues/{w.own['key']}", headers=user.headers))["key"] == w.own["key"]
        assert _keys(client, user.headers, f"project = {project}") == (2, sorted([w.visible["key"],
                                                                                  w.own["key"]]))
    # Reassigning the issue moves who sees it (the assignee holder follows the current assignee).
    ok(client.put(f"/v2/issues/{w.own['id']}", headers=w.org.headers, json={"assignee_id": w.insider.user_id}))
    assert client.get(f"/v2/issues/{w.own['key']}", headers=w.assignee.headers).status_code == 404
    assert client.get(f"/v2/issues/{w.own['key']}", headers=w.insider.headers).status_code == 200
    # A member removed from the level loses it at once (the change bumps the catalog).
    secret = next(level for level in ok(client.get(f"/v2/issue-security-schemes/{w.scheme['id']}",
                                                   headers=w.org.headers))["levels"] if level["name"] == "Secret")
    member = secret["members"][0]
    ok(client.delete(f"/v2/issue-security-schemes/{w.scheme['id']}/levels/{secret['id']}/members/{member['id']}",
                     headers=w.org.headers), 204)
    assert client.get(f"/v2/issues/{w.hidden['key']}", headers=w.insider.headers).status_code == 404


def test_setting_a_level_needs_the_permission_and_membership(client: TestClient, world: World) -> None:
    w = world
    project = w.project
    refused = client.post("/v2/issues", headers=w.insider.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Mine", "security_level": "Secret"})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "security_level"
    assert "SET_ISSUE_SECURITY" in refused.text
    not_member = client.post("/v2/issues", headers=w.project_admin.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Mine", "security_level": "Secret"})
    assert not_member.status_code == 400 and not_member.json()["error"]["field"] == "security_level"
    assert "not a member" in not_member.text
    edit = client.put(f"/v2/issues/{w.visible['id']}", headers=w.insider.headers, json={"security_level": "Secret"})
    assert edit.status_code in (400, 403)
    wrong = client.post("/v2/issues", headers=w.org.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Mine", "security_level": "Nope"})
    assert wrong.status_code == 400 and wrong.json()["error"]["field"] == "security_level"
    made = ok(client.post("/v2/issues", headers=w.project_admin.headers, json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Admins only", "security_level": "Admins"}),
        201)
    assert made["security_level"]["name"] == "Admins"
    assert client.get(f"/v2/issues/{made['key']}", headers=w.outsider.headers).status_code == 404
    # Jira's API: fields.security by id; a level the caller may not set names the field.
    jira = client.post(f"{API}/issue", headers=w.project_admin.headers, json={"fields": {
        "project": {"key": project["key"]}, "issuetype": {"name": "Task"}, "summary": "Via Jira",
        "security": {"id": str(w.levels["Secret"])}}})
    assert jira.status_code == 400 and "security" in jira.json()["errors"], jira.text
    created = ok(client.post(f"{API}/issue", headers=w.org.headers, json={"fields": {
        "project": {"key": project["key"]}, "issuetype": {"name": "Task"}, "summary": "Via Jira",
        "security": {"id": str(w.levels["Secret"])}}}), 201)
    assert client.get(f"{API}/issue/{created['key']}", headers=w.outsider.headers).status_code == 404
    # The levels the caller may set: Jira's project securitylevel and createmeta.
    mine = ok(client.get(f"{API}/project/{project['key']}/securitylevel", headers=w.project_admin.headers))
    assert sorted(level["name"] for level in mine["levels"]) == ["Admins", "Own"]
    assert ok(client.get(f"{API}/project/{project['key']}/securitylevel", headers=w.insider.headers))["levels"] == []
    meta = ok(client.get(f"{API}/issue/createmeta/{project['key']}/issuetypes/Task", headers=w.org.headers))
    security = next(field for field in meta["values"] if field["fieldId"] == "security")
    assert sorted(v["name"] for v in security["allowedValues"]) == ["Admins", "Own", "Secret"]
    insider_meta = ok(client.get(f"{API}/issue/createmeta/{project['key']}/issuetypes/Task",
                                 headers=w.insider.headers))
    assert "security" not in {field["fieldId"] for field in insider_meta["values"]}


def test_default_level_applies_at_create(client: TestClient, world: World) -> None:
    w = world
    ok(client.put(f"/v2/issue-security-schemes/{w.scheme['id']}", headers=w.org.headers,
                  json={"default_level": "Admins"}))
    made = _issue(client, w.insider.headers, w.project, "Defaulted")
    assert made["security_level"] is None or made["security_level"]["name"] == "Admins"
    assert ok(client.get(f"/v2/issues/{made['key']}", headers=w.org.headers))["security_level"]["name"] == "Admins"
    assert client.get(f"/v2/issues/{made['key']}", headers=w.insider.headers).status_code == 404


def test_boards_backlog_and_dashboards_count_only_what_the_viewer_sees(client: TestClient, world: World) -> None:
    w = world
    h = w.org.headers
    board = new_board(client, h, w.project, type="kanban", jql=f"project = {w.project['key']}")
    every = {key for keys in columns(client, h, board).values() for key in keys}
    assert {w.own["key"], w.visible["key"]} <= every
    outsider_cards = {key for keys in columns(client, w.outsider.headers, board).values() for key in keys}
    assert outsider_cards == {w.visible["key"]}
    scrum = new_board(client, h, w.project, type="scrum", jql=f"project = {w.project['key']}")
    assert backlog_keys(client, w.outsider.headers, scrum) == [w.visible["key"]]
    assert w.own["key"] in backlog_keys(client, w.reporter.headers, scrum)
    dashboard = new_dashboard(client, h, gadget("filter_results", jql=f"project = {w.project['key']}",
                                                columns=["key", "summary"]),
                              gadget("pie_chart", jql=f"project = {w.project['key']}", field="project"),
                              shares=[{"type": "organization"}])
    assert data(client, h, dashboard)["g1"]["data"]["total"] == 3
    outsider = client.get(f"/v2/dashboards/{dashboard['id']}/data", headers=w.outsider.headers)
    gadgets = {g["id"]: g for g in ok(outsider)["gadgets"]}
    assert gadgets["g1"]["data"]["total"] == 1 and "Hush" not in outsider.text
    assert [s["count"] for s in gadgets["g2"]["data"]["slices"]] == [1]
    # Another outsider, with the same projects but different levels, does not share the insider's cache.
    assert data(client, w.insider.headers, dashboard)["g1"]["data"]["total"] == 2


@pytest.fixture
def web(client: TestClient) -> Any:
    client.cookies.clear()
    yield client
    client.cookies.clear()


def test_web_pages_hide_it_and_show_the_lock(web: TestClient, database_url: str, world: World) -> None:
    w = world
    sign_in_as(web, database_url, w.outsider)
    assert web.get(f"/browse/{w.hidden['key']}").status_code == 404
    parent = web.get(f"/browse/{w.visible['key']}")
    assert parent.status_code == 200 and w.hidden["key"] not in parent.text and "Hush" not in parent.text
    found = web.get("/search", params={"jql": f"project = {w.project['key']}"})
    assert found.status_code == 200 and "Hush" not in found.text
    sign_in_as(web, database_url, w.insider)
    page = web.get(f"/browse/{w.hidden['key']}")
    assert page.status_code == 200 and 'id="security-badge"' in page.text and "Secret" in page.text
    assert 'id="security-level"' not in web.get("/issues/new").text  # may not set levels


def test_webhooks_notifications_and_live_updates_skip_non_members(client: TestClient, database_url: str,
                                                                  world: World) -> None:
    w = world

    async def run() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            org_id = w.org.organization_id
            async with database.unit_of_work(write=False, organization_id=org_id) as session:
                issue = await session.scalar(select(Issue).where(Issue.organization_id == org_id,
                                                                 Issue.id == w.hidden["id"]))
                project = await session.scalar(select(Project).where(Project.id == issue.project_id))
                users = {w.insider.user_id, w.outsider.user_id, w.org.admin_user_id}
                told = {r.user_id for r in await permitted(session, users, issue=issue, project=project, payload={})}
                assert told == {w.insider.user_id, w.org.admin_user_id}
                for owner, expected in ((w.outsider, set()), (w.insider, {w.hidden["id"]})):
                    actor = await owner_actor(session, org_id, owner.user_id)
                    assert actor is not None
                    ids = [w.hidden["id"], w.visible["id"]]
                    for jql in ("", f"project = {w.project['key']}"):
                        found = set(await matching_issues(session, actor, ids, jql)) - {w.visible["id"]}
                        assert found == expected, (owner, jql)
            access = AccessCache(database, ttl=5)
            readers = await access.issue_readers(org_id, w.hidden["id"], users)
            assert readers == {w.insider.user_id, w.org.admin_user_id}
            assert await access.issue_readers(org_id, w.visible["id"], users) == users
        finally:
            await database.dispose()

    asyncio.run(run())


def test_scheme_api_audit_refusals_and_tenancy(client: TestClient, world: World, other_org: OrgHandle,
                                               database_url: str) -> None:
    w = world
    h = w.org.headers
    listed = ok(client.get("/v2/issue-security-schemes", headers=w.outsider.headers))["issue_security_schemes"]
    assert [s["id"] for s in listed] == [w.scheme["id"]]
    assert client.post("/v2/issue-security-schemes", headers=w.outsider.headers,
                       json={"name": "Mine"}).status_code == 403
    bad = client.post("/v2/issue-security-schemes", headers=h, json={
        "name": f"Bad {unique_key()}", "levels": [{"name": "L", "members": [{"type": "group", "parameter": "nope"}]}]})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "levels.0.members.0.parameter"
    duplicate = client.post("/v2/issue-security-schemes", headers=h, json={"name": w.scheme["name"]})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["field"] == "name"
    in_use = client.delete(f"/v2/issue-security-schemes/{w.scheme['id']}", headers=h)
    assert in_use.status_code == 409
    level_in_use = client.delete(f"/v2/issue-security-schemes/{w.scheme['id']}/levels/{w.levels['Secret']}",
                                 headers=h)
    assert level_in_use.status_code == 409
    # Dropping the scheme from the project while its issues are at levels would show them to all.
    assert client.put(f"/v2/projects/{w.project['id']}/issue-security-scheme", headers=h,
                      json={"scheme_id": None}).status_code == 409
    actions = {row["action"] for row in fetch_rows(
        database_url, "SELECT action FROM audit_records WHERE organization_id = :org",
        {"org": w.org.organization_id})}
    assert {"issue_security_scheme.created", "project.issue_security_scheme_assigned"} <= actions
    # Another organization: every reference is a 404, the Jira API's too.
    o = other_org.headers
    for path in (f"/v2/issues/{w.hidden['key']}", f"/v2/issue-security-schemes/{w.scheme['id']}",
                 f"{API}/issuesecurityschemes/{w.scheme['id']}", f"{API}/securitylevel/{w.levels['Secret']}",
                 f"{API}/project/{w.project['key']}/issuesecuritylevelscheme"):
        assert client.get(path, headers=o).status_code == 404, path
    assert ok(client.get("/v2/issue-security-schemes", headers=o))["issue_security_schemes"] == []
    assert client.put(f"/v2/projects/{w.project['id']}/issue-security-scheme", headers=o,
                      json={"scheme_id": w.scheme["id"]}).status_code == 404
    # Jira's read API.
    jira = ok(client.get(f"{API}/issuesecurityschemes", headers=h))["issueSecuritySchemes"]
    assert [s["id"] for s in jira] == [w.scheme["id"]]
    one = ok(client.get(f"{API}/project/{w.project['key']}/issuesecuritylevelscheme", headers=h))
    assert sorted(level["name"] for level in one["levels"]) == ["Admins", "Own", "Secret"]
    assert ok(client.get(f"{API}/securitylevel/{w.levels['Own']}", headers=h))["name"] == "Own"


def _sprint_keys(client: TestClient, headers: dict, sprint: dict) -> tuple[int, list[str]]:
    page = ok(client.get(f"/v2/sprints/{sprint['id']}/issues", headers=headers))
    return page["total"], sorted(card["key"] for card in page["issues"])


def _graph_burndown(client: TestClient, headers: dict, sprint: dict) -> dict:
    found = client.post("/graphql", headers=headers, json={
        "query": "query($id: ID!) { sprint(id: $id) { burndown { actual remaining unit } } }",
        "variables": {"id": str(sprint["id"])}}).json()
    assert "errors" not in found, found
    return found["data"]["sprint"]["burndown"]


def test_sprint_reads_moves_and_reports_leave_hidden_issues_out(client: TestClient, world: World) -> None:
    w = world
    h, outsider, insider = w.org.headers, w.outsider.headers, w.insider.headers
    board = new_board(client, h, w.project, type="scrum", jql=f"project = {w.project['key']}")
    sprint = new_sprint(client, h, board, name="Sprint one")
    for issue, points in ((w.visible, 1), (w.hidden, 2), (w.own, 4)):
        ok(client.put(f"/v2/issues/{issue['id']}", headers=h, json={"custom_fields": {"story_points": points}}))
    add_to_sprint(client, h, sprint, w.visible, w.own)  # the visible parent brings its hidden open sub-task
    every = sorted([w.visible["key"], w.hidden["key"], w.own["key"]])
    assert _sprint_keys(client, h, sprint) == (3, every)
    ok(client.post(f"/v2/sprints/{sprint['id']}/start", json={}, headers=h))
    assert _sprint_keys(client, outsider, sprint) == (1, [w.visible["key"]])
    # The scope record (snapshots at start, changes while it runs): rows and totals.
    scope = ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=outsider))
    assert [c["issue_key"] for c in scope["changes"]] == [w.visible["key"]]
    assert scope["totals"]["committed"]["count"] == 1 and "Hush" not in str(scope)
    seen_by_insider = ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=insider))
    assert sorted(c["issue_key"] for c in seen_by_insider["changes"]) == sorted([w.visible["key"], w.hidden["key"]])
    assert ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=h))["totals"]["committed"]["count"] == 3
    # Burndown (REST report and GraphQL, in story points): only the visible issues count.
    report = f"/v2/projects/{w.project['id']}/reports/burndown"
    mine = ok(client.get(report, params={"sprint_id": sprint["id"]}, headers=outsider))
    theirs = ok(client.get(report, params={"sprint_id": sprint["id"]}, headers=h))
    assert (mine["totals"]["committed_issues"], theirs["totals"]["committed_issues"]) == (1, 3)
    assert (mine["totals"]["committed"], theirs["totals"]["committed"]) == (1, 7)
    assert w.hidden["key"] not in str(mine) and w.own["key"] not in str(mine)
    assert [_graph_burndown(client, headers, sprint)["remaining"] for headers in (outsider, insider, h)] == [1, 3, 7]
    # Moves by a non-member: the hidden open sub-task neither follows its parent out nor back in,
    # and the answer names only what the mover sees.
    ok(client.delete(f"/v2/sprints/{sprint['id']}/issues/{w.visible['id']}", headers=outsider), 204)
    assert _sprint_keys(client, h, sprint) == (2, sorted([w.hidden["key"], w.own["key"]]))
    added = add_to_sprint(client, outsider, sprint, w.visible)
    assert [i["key"] for i in added["issues"]] == [w.visible["key"]]
    # Naming a hidden issue is as naming a missing one.
    for ref in (w.hidden["key"], "NOPE-999999"):
        missing = client.post(f"/v2/sprints/{sprint['id']}/issues", json={"issues": [ref]}, headers=outsider)
        assert missing.status_code == 400 and missing.json()["error"]["field"] == "issues.0", missing.text
        assert "does not exist" in missing.text
    # Completion by a non-member lists and moves only what they see.
    completed = ok(client.post(f"/v2/sprints/{sprint['id']}/complete", json={}, headers=outsider))
    assert completed["incomplete_issue_ids"] == [w.visible["id"]] and completed["completed_issue_ids"] == []
    assert completed["moved_issue_ids"] == [w.visible["id"]]
    closed = ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=outsider))
    assert {c["issue_key"] for c in closed["changes"]} == {w.visible["key"]}
    assert closed["totals"]["incomplete"]["count"] == 1
    assert ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=h))["totals"]["incomplete"]["count"] == 3
    # Velocity: the committed work of the closed sprint, as each reader may see it.
    velocity = f"/v2/projects/{w.project['id']}/reports/velocity"
    committed = [ok(client.get(velocity, headers=headers))["sprints"][0]["committed"] for headers in (outsider, h)]
    assert committed == [1, 7]


def _parent_error(client: TestClient, headers: dict, method: str, url: str, body: dict, ref: str) -> tuple[int, dict]:
    """The status and error of a create or edit naming `ref` as the parent, with `ref` itself
    taken out of the message (so a hidden issue's answer compares with a missing one's)."""
    response = client.request(method, url, headers=headers, json=body)
    return response.status_code, json.loads(response.text.replace(ref, "REF"))


def test_a_hidden_or_unbrowsable_parent_answers_as_a_missing_one(client: TestClient, world: World) -> None:
    w = world
    h, outsider = w.org.headers, w.outsider.headers
    epic = _issue(client, h, w.project, "Hush epic", issue_type="Epic", security_level="Secret")
    secret_task = _issue(client, h, w.project, "Hush task", security_level="Secret")
    private = ok(client.post("/v2/projects", headers=h, json={"key": unique_key("P")[:10], "name": "Private",
                                                             "access": "private"}), 201)
    private_epic = _issue(client, h, private, "Private epic", issue_type="Epic")
    missing = f"{w.project['key']}-99999"
    create = {"project_id": w.project["id"], "issue_type": "Task", "summary": "Child"}
    subtask = {**create, "issue_type": "Sub-task"}
    cases = [("POST", "/v2/issues", create, epic["key"]), ("POST", "/v2/issues", create, str(epic["id"])),
             ("POST", "/v2/issues", create, private_epic["key"]), ("POST", "/v2/issues", subtask, secret_task["key"]),
             ("PUT", f"/v2/issues/{w.visible['id']}", {}, epic["key"])]
    for method, url, body, ref in cases:
        answer = _parent_error(client, outsider, method, url, {**body, "parent_id": ref}, ref)
        assert answer == _parent_error(client, outsider, method, url, {**body, "parent_id": missing}, missing), ref
        assert answer[0] == 400 and answer[1]["error"]["field"] == "parent_id"
        assert "does not exist" in answer[1]["error"]["message"]
    # Jira's API answers the same way, under its field id.
    jira = client.post(f"{API}/issue", headers=outsider, json={"fields": {
        "project": {"key": w.project["key"]}, "issuetype": {"name": "Task"}, "summary": "Child",
        "parent": {"key": epic["key"]}}})
    assert jira.status_code == 400 and "Hush" not in jira.text and "does not exist" in jira.text, jira.text
    # A member of the level may choose it; the child's current parent stays when a non-member edits it.
    child = _issue(client, w.insider.headers, w.project, "Child of a hidden epic", parent_id=epic["key"])
    assert child["parent"]["key"] == epic["key"]
    kept = ok(client.put(f"/v2/issues/{child['id']}", headers=outsider,
                         json={"summary": "Renamed", "parent_id": epic["id"]}))
    assert kept["summary"] == "Renamed" and "Hush" not in str(kept)
    assert ok(client.get(f"/v2/issues/{child['id']}", headers=h))["parent"]["key"] == epic["key"]


def test_board_cards_do_not_name_a_hidden_epic(client: TestClient, world: World) -> None:
    w = world
    h = w.org.headers
    epic = _issue(client, h, w.project, "Hush epic", issue_type="Epic", security_level="Secret")
    child = _issue(client, h, w.project, "Open child", parent_id=epic["key"])
    grandchild = _issue(client, h, w.project, "Open grandchild", issue_type="Sub-task", parent_id=child["key"])
    board = new_board(client, h, w.project, type="kanban", jql=f"project = {w.project['key']}")

    def epics(headers: dict) -> dict[str, Any]:
        view = ok(client.get(f"/v2/boards/{board['id']}/issues", headers=headers))
        return {card["key"]: card["epic"] for column in view["columns"] for card in column["issues"]
                if card["key"] in (child["key"], grandchild["key"])}

    shown = {"id": epic["id"], "key": epic["key"], "summary": "Hush epic"}
    assert epics(w.insider.headers) == {child["key"]: shown, grandchild["key"]: shown}
    seen_by_outsider = epics(w.outsider.headers)
    assert seen_by_outsider == {child["key"]: None, grandchild["key"]: None}
    scrum = new_board(client, h, w.project, type="scrum", jql=f"project = {w.project['key']}")
    backlog = ok(client.get(f"/v2/boards/{scrum['id']}/backlog", headers=w.outsider.headers))
    assert "Hush" not in str(backlog)


def test_mentions_suggest_only_users_who_see_the_issue(client: TestClient, world: World) -> None:
    w = world

    def suggested(headers: dict, issue: dict) -> set[int]:
        found = ok(client.get(f"/v2/issues/{issue['id']}/mentionable", headers=headers))["users"]
        return {user["id"] for user in found}

    on_hidden = suggested(w.insider.headers, w.hidden)
    assert {w.insider.user_id, w.org.admin_user_id} <= on_hidden
    assert not on_hidden & {w.outsider.user_id, w.reporter.user_id, w.assignee.user_id, w.project_admin.user_id}
    # "Own": its reporter and assignee (and administrators), nobody else.
    on_own = suggested(w.reporter.headers, w.own)
    assert {w.reporter.user_id, w.assignee.user_id} <= on_own
    assert not on_own & {w.outsider.user_id, w.insider.user_id}
    assert {w.outsider.user_id, w.insider.user_id, w.reporter.user_id} <= suggested(w.outsider.headers, w.visible)
    assert client.get(f"/v2/issues/{w.hidden['id']}/mentionable", headers=w.outsider.headers).status_code == 404


def test_jira_update_verb_sets_the_level_with_the_same_checks(client: TestClient, world: World) -> None:
    w = world
    url = f"{API}/issue/{w.visible['key']}"

    def level(headers: dict) -> Any:
        return ok(client.get(url, headers=headers))["fields"]["security"]

    refused = client.put(url, headers=w.project_admin.headers, json={"update": {"security": [
        {"set": {"id": str(w.levels["Secret"])}}]}})
    assert refused.status_code == 400 and "security" in refused.json()["errors"], refused.text
    assert level(w.org.headers) is None
    no_permission = client.put(url, headers=w.insider.headers, json={"update": {"security": [
        {"set": {"name": "Secret"}}]}})
    assert no_permission.status_code == 400 and "SET_ISSUE_SECURITY" in no_permission.json()["errors"]["security"]
    bad = client.put(url, headers=w.org.headers, json={"update": {"security": [{"set": {"id": "999999"}}]}})
    assert bad.status_code == 400 and "999999" in bad.json()["errors"]["security"]
    ok(client.put(url, headers=w.project_admin.headers, json={"update": {"security": [
        {"set": {"id": str(w.levels["Admins"])}}]}}), 204)
    assert level(w.project_admin.headers)["name"] == "Admins"
    assert client.get(url, headers=w.outsider.headers).status_code == 404
    ok(client.put(url, headers=w.org.headers, json={"update": {"security": [{"set": None}]}}), 204)
    assert level(w.outsider.headers) is None


def test_a_mail_reply_to_a_hidden_issue_is_as_one_to_a_missing_issue(client: TestClient, database_url: str,
                                                                     settings: Settings, world: World) -> None:
    w = world
    h, project_key = w.org.headers, w.project["key"]
    gone = _issue(client, h, w.project, "Deleted since")
    ok(client.delete(f"/v2/issues/{gone['id']}", headers=h), 204)

    def address(issue: dict, user: UserHandle) -> str:
        found = reply_address(settings, organization_key=w.org.key, project_key=project_key,
                              organization_id=w.org.organization_id, issue_id=issue["id"], user_id=user.user_id)
        assert found is not None
        return found

    def comments(issue: dict) -> list[str]:
        return [c["body"] for c in ok(client.get(f"/v2/issues/{issue['id']}/comments", headers=h))["comments"]]

    with running_mail_in(database_url, settings) as mail_in:
        # By its signed reply address: refused as for a deleted issue, with the same words.
        hidden = mail_in.send(mail(sender=w.outsider.email, to=address(w.hidden, w.outsider), subject="Re: x",
                                   body="Peeking in."))
        missing = mail_in.send(mail(sender=w.outsider.email, to=address(gone, w.outsider), subject="Re: x",
                                    body="Peeking in."))
        assert (hidden.code, hidden.text) == (missing.code, missing.text) == (550, missing.text)
        assert "no longer exists" in hidden.text and "Hush" not in hidden.text
        # By References, sent to the project's address: a new issue, as when the reference names nothing.
        to = project_address(w.org.key, project_key)
        threaded = mail_in.send(mail(sender=w.outsider.email, to=to, subject="Re: merger",
                                     body="Via the thread.", References=thread_id(settings, w.org.organization_id,
                                                                                  w.hidden["id"])))
        assert threaded.code == 250 and threaded.text.startswith(f"2.0.0 issue_created {project_key}-"), threaded.text
        assert comments(w.hidden) == []
        # Its member's reply comments, as before.
        member = mail_in.send(mail(sender=w.insider.email, to=address(w.hidden, w.insider), subject="Re: x",
                                   body="Noted."))
        assert (member.code, member.text) == (250, f"2.0.0 comment_added {w.hidden['key']}")
    assert comments(w.hidden) == ["Noted."]
