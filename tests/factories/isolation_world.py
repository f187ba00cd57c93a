"""Two organizations on one server for the tenancy isolation tests: organization A's data, made
through /v2, seen from A, plus B's own project and issue; and the check that an answer names
nothing of A."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.factories.deliveries import Planned, plant
from tests.factories.http import ok
from tests.support import OrgHandle, make_user, unique_key

MISSING_ID = 987_654_321_987


@dataclass
class World:
    """Organization A's data, seen from A, plus B's own project and issue."""

    a: OrgHandle
    b: OrgHandle
    ids: dict[str, Any]
    secrets: list[str] = field(default_factory=list)


def build_isolation_world(client: TestClient, database_url: str, a: OrgHandle, b: OrgHandle) -> World:
    post = lambda url, body, org=a: ok(client.post(url, json=body, headers=org.headers), 201)  # noqa: E731
    key = unique_key("S")[:10]
    project = post("/v2/projects", {"key": key, "name": "Secret Project Zebra"})
    component = post(f"/v2/projects/{project['id']}/components", {"name": "Secret Component Okapi"})
    version = post(f"/v2/projects/{project['id']}/versions", {"name": "Secret Version Quokka"})
    select_field = post("/v2/fields", {"name": "Secret Field Narwhal", "field_type": "select",
                                       "options": ["Opt Axolotl"]})
    user_field = post("/v2/fields", {"name": "Secret Reviewer Field", "field_type": "user"})
    member = make_user(database_url, a, role="member")
    epic = post("/v2/issues", {"project_id": project["id"], "issue_type": "Epic", "summary": "Secret epic Ibex"})
    story = post("/v2/issues", {"project_id": project["id"], "issue_type": "Story", "summary": "Secret story Lynx",
                                "parent_id": epic["id"], "components": [component["id"]],
                                "fix_versions": [version["id"]], "assignee_id": member.user_id,
                                "labels": ["secret-label-tapir"]})
    task = post("/v2/issues", {"project_id": project["id"], "issue_type": "Task", "summary": "Secret task Gecko"})
    link = post("/v2/issue-links", {"type": "blocks", "outward_issue": story["key"], "inward_issue": task["key"]})
    comment = post(f"/v2/issues/{story['id']}/comments", {"body": "Secret comment Marmot"})
    [attachment] = ok(client.post(f"/v2/issues/{story['id']}/attachments", headers=a.headers, files=[
        ("file", ("Secret attachment Ocelot.txt", b"Secret bytes Ocelot", "text/plain"))]), 201)
    tokens = ok(client.get("/v2/myself/tokens", headers=a.headers))["tokens"]
    workflows = ok(client.get("/v2/workflows", headers=a.headers))["workflows"]
    secret_workflow = post("/v2/workflows", {
        "name": "Secret Workflow Pangolin", "statuses": [{"name": "Secret Status Dugong", "category": "todo"}],
        "initial_status": "Secret Status Dugong"})
    schemes = ok(client.get("/v2/workflow-schemes", headers=a.headers))["workflow_schemes"]
    issue_types = ok(client.get("/v2/issue-types", headers=a.headers))["issue_types"]
    b_key = unique_key("B")[:10]
    b_project = post("/v2/projects", {"key": b_key, "name": "B project"}, b)
    b_epic = post("/v2/issues", {"project_id": b_project["id"], "issue_type": "Epic", "summary": "B epic"}, b)
    b_story = post("/v2/issues", {"project_id": b_project["id"], "issue_type": "Story", "summary": "B story"}, b)
    saved_filter = post("/v2/filters", {"name": "Secret Filter Wombat", "jql": f"project = {key}", "favourite": True,
                                        "shares": [{"type": "organization"},
                                                   {"type": "project", "project_id": project["id"]}]})
    b_filter = post("/v2/filters", {"name": "B filter", "jql": ""}, b)
    board = post("/v2/boards", {"name": "Secret Board Kudu", "project_id": project["id"], "filter_id": saved_filter["id"]})
    sprint = post(f"/v2/boards/{board['id']}/sprints", {"name": "Secret Sprint Tarsier"})
    b_board = post("/v2/boards", {"name": "B board", "project_id": b_project["id"], "filter_id": b_filter["id"]}, b)
    b_sprint = post(f"/v2/boards/{b_board['id']}/sprints", {"name": "B sprint"}, b)
    ok(client.post(f"/v2/sprints/{b_sprint['id']}/start", json={}, headers=b.headers))
    dashboard = post("/v2/dashboards", {"name": "Secret Dashboard Caracal", "shares": [{"type": "organization"}],
                                        "layout": {"gadgets": [{"type": "filter_results",
                                                                "config": {"filter_id": saved_filter["id"]}}]}})
    b_dashboard = post("/v2/dashboards", {"name": "B dashboard"}, b)
    [delivery_id] = plant(database_url, a.organization_id,
                          Planned(state="dead", target="https://secret-hook-jaguar.test/in", target_id=story["id"]))
    webhook = post("/v2/webhooks", {"name": "Secret Webhook Serval", "url": "https://serval.example.test/hook",
                                    "events": ["jira:issue_created"], "jql": f"project = {project['key']}"})
    post("/v2/webhooks", {"name": "B webhook", "url": "https://b.example.test/hook", "events": []}, b)
    git = post("/v2/integrations/git", {"provider": "github", "name": "Secret Git Civet", "repository": "acme/civet"})
    post("/v2/integrations/git", {"provider": "gitlab", "name": "B git"}, b)
    permission_scheme = post("/v2/permission-schemes", {"name": "Secret Scheme Fossa", "grants": [
        {"permission": "BROWSE_PROJECTS", "holder": {"type": "user", "parameter": member.user_id}}]})
    global_grants = ok(client.get("/v2/global-permissions", headers=a.headers))["grants"]
    security = post("/v2/issue-security-schemes", {"name": "Secret Security Gecko", "levels": [
        {"name": "Secret Level Okapi", "members": [{"type": "user", "parameter": member.user_id}]}]})
    ok(client.put(f"/v2/projects/{project['id']}/issue-security-scheme", json={"scheme_id": security["id"]},
                  headers=a.headers))
    ids = {
        "security_scheme_id": security["id"], "security_level_id": security["levels"][0]["id"],
        "security_member_id": security["levels"][0]["members"][0]["id"],
        "permission_scheme_id": permission_scheme["id"], "permission_grant_id": permission_scheme["grants"][0]["id"],
        "global_grant_id": global_grants[0]["id"],
        "project_id": project["id"], "project_key": project["key"], "component_id": component["id"],
        "version_id": version["id"], "field_id": select_field["numeric_id"], "field_ref": select_field["id"],
        "field_key": select_field["key"], "user_field_key": user_field["key"],
        "option_id": select_field["options"][0]["id"], "member_id": member.user_id, "member_email": member.email,
        "admin_id": a.admin_user_id, "epic_id": epic["id"], "epic_key": epic["key"], "story_id": story["id"],
        "story_key": story["key"], "task_id": task["id"], "link_id": link["id"], "comment_id": comment["id"],
        "attachment_id": attachment["id"],
        "token_id": tokens[0]["id"], "workflow_id": workflows[0]["id"], "status_id": story["status"]["id"],
        "secret_workflow_id": secret_workflow["id"], "scheme_id": schemes[0]["id"],
        "issue_type_id": issue_types[0]["id"],
        "b_project_id": b_project["id"], "b_epic_id": b_epic["id"], "b_story_id": b_story["id"],
        "b_story_key": b_story["key"], "filter_id": saved_filter["id"], "b_filter_id": b_filter["id"],
        "board_id": board["id"], "sprint_id": sprint["id"], "b_board_id": b_board["id"], "b_sprint_id": b_sprint["id"],
        "dashboard_id": dashboard["id"], "b_dashboard_id": b_dashboard["id"], "delivery_id": delivery_id,
        "webhook_id": webhook["id"], "git_connection_id": git["id"],
    }
    secrets = ["Secret", "Zebra", "Okapi", "Quokka", "Narwhal", "Axolotl", "Ibex", "Lynx", "Gecko", "Marmot",
               "tapir", "Pangolin", "Dugong", "Wombat", "Ocelot", "Kudu", "Tarsier", "Caracal", "jaguar", "Serval", "Civet", "Fossa",
               project["key"], story["key"], epic["key"], member.email,
               a.admin_email, a.key]
    return World(a=a, b=b, ids=ids, secrets=secrets)


def send(client: TestClient, org: OrgHandle, method: str, url: str, body: dict | None) -> Any:
    kwargs: dict[str, Any] = {"headers": org.headers}
    if body is not None:
        kwargs["json"] = body
    return client.request(method, url, **kwargs)


def assert_no_leak(world: World, text: str, where: str) -> None:
    for secret in world.secrets:
        assert secret.lower() not in text.lower(), f"{where} leaks {secret!r}: {text}"


def assert_a_is_untouched(client: TestClient, world: World) -> None:
    a, ids = world.a, world.ids
    story = ok(client.get(f"/v2/issues/{ids['story_id']}?expand=changelog", headers=a.headers))
    assert story["summary"] == "Secret story Lynx" and story["version"] == 1
    assert story["status"]["id"] == ids["status_id"]
    assert story["changelog"] == [] or all(h["author"]["id"] == a.admin_user_id for h in story["changelog"])
    comments = ok(client.get(f"/v2/issues/{ids['story_id']}/comments", headers=a.headers))["comments"]
    assert [c["body"] for c in comments] == ["Secret comment Marmot"]
    assert comments[0]["version"] == 1
    history = ok(client.get(f"/v2/issues/{ids['story_id']}/comments/{ids['comment_id']}/history",
                             headers=a.headers))
    assert [r["body"] for r in history["revisions"]] == ["Secret comment Marmot"]
    watchers = ok(client.get(f"/v2/issues/{ids['story_id']}/watchers", headers=a.headers))
    assert {w["id"] for w in watchers["watchers"]} == {a.admin_user_id, ids["member_id"]}
    assert ok(client.get(f"/v2/issues/{ids['story_id']}/votes", headers=a.headers))["votes"] == 0
    assert ok(client.get(f"/v2/integrations/git/{ids['git_connection_id']}", headers=a.headers))["name"] == (
        "Secret Git Civet")
    content = client.get(f"/v2/attachments/{ids['attachment_id']}/content", headers=a.headers)
    assert content.status_code == 200 and content.content == b"Secret bytes Ocelot"
    project = ok(client.get(f"/v2/projects/{ids['project_id']}", headers=a.headers))
    assert project["name"] == "Secret Project Zebra" and project["version"] == 1
    roles = ok(client.get(f"/v2/projects/{ids['project_id']}/roles", headers=a.headers))["roles"]
    assert roles["administrators"] == [a.admin_user_id]
    components = ok(client.get(f"/v2/projects/{ids['project_id']}/components", headers=a.headers))["components"]
    assert [c["name"] for c in components] == ["Secret Component Okapi"]
    versions = ok(client.get(f"/v2/projects/{ids['project_id']}/versions", headers=a.headers))["versions"]
    assert [v["name"] for v in versions] == ["Secret Version Quokka"]
    assert ok(client.get(f"/v2/issue-links/{ids['link_id']}", headers=a.headers))["id"] == ids["link_id"]
    member = ok(client.get(f"/v2/users/{ids['member_id']}", headers=a.headers))
    assert member["display_name"] != "hijacked"
    fields = ok(client.get("/v2/fields", headers=a.headers))["fields"]
    [narwhal] = [f for f in fields if f.get("numeric_id") == ids["field_id"]]
    assert [o["value"] for o in narwhal["options"]] == ["Opt Axolotl"]
    tokens = ok(client.get("/v2/myself/tokens", headers=a.headers))["tokens"]
    assert not any(t["revoked"] for t in tokens)
    saved_filter = ok(client.get(f"/v2/filters/{ids['filter_id']}", headers=a.headers))
    assert saved_filter["name"] == "Secret Filter Wombat" and saved_filter["version"] == 1
    assert saved_filter["favourite_count"] == 1 and len(saved_filter["shares"]) == 2
    board = ok(client.get(f"/v2/boards/{ids['board_id']}", headers=a.headers))
    assert board["name"] == "Secret Board Kudu" and board["version"] == 1
    sprint = ok(client.get(f"/v2/sprints/{ids['sprint_id']}", headers=a.headers))
    assert (sprint["name"], sprint["state"]) == ("Secret Sprint Tarsier", "future")
    dashboard = ok(client.get(f"/v2/dashboards/{ids['dashboard_id']}", headers=a.headers))
    assert dashboard["name"] == "Secret Dashboard Caracal" and dashboard["version"] == 1
    assert client.get("/v2/myself", headers=a.headers).status_code == 200


LISTS = {
    "/v2/projects": "projects", "/v2/users": "users", "/v2/fields": "fields", "/v2/issue-types": "issue_types",
    "/v2/priorities": "priorities", "/v2/resolutions": "resolutions", "/v2/statuses": "statuses",
    "/v2/link-types": "link_types", "/v2/workflows": "workflows", "/v2/myself/tokens": "tokens",
    "/v2/workflow-schemes": "workflow_schemes", "/v2/filters": "filters", "/v2/filters/favourite": "filters",
    "/v2/boards": "boards", "/v2/dashboards": "dashboards", "/v2/deliveries": "deliveries", "/v2/webhooks": "webhooks",
    "/v2/integrations/git": "connections", "/v2/permission-schemes": "permission_schemes",
    "/v2/global-permissions": "grants", "/v2/issue-security-schemes": "issue_security_schemes",
}
