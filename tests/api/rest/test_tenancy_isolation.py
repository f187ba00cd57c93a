"""Two organizations on one server: nothing of organization A is visible, addressable or
referenceable with organization B's token. Another organization's resource answers exactly as a
missing one does (SPEC: "A resource of another organization answers 404, exactly as a missing
one does").

Every /v2 operation must be classified below; a new endpoint without an isolation case makes
`test_every_v2_operation_has_an_isolation_case` fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import OrgHandle, make_user, unique_key

MISSING_ID = 987_654_321_987


@dataclass
class World:
    """Organization A's data, seen from A, plus B's own project and issue."""

    a: OrgHandle
    b: OrgHandle
    ids: dict[str, Any]
    secrets: list[str] = field(default_factory=list)


def _ok(response: Any, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def _world(client: TestClient, database_url: str, a: OrgHandle, b: OrgHandle) -> World:
    post = lambda url, body, org=a: _ok(client.post(url, json=body, headers=org.headers), 201)  # noqa: E731
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
    [attachment] = _ok(client.post(f"/v2/issues/{story['id']}/attachments", headers=a.headers, files=[
        ("file", ("Secret attachment Ocelot.txt", b"Secret bytes Ocelot", "text/plain"))]), 201)
    tokens = _ok(client.get("/v2/myself/tokens", headers=a.headers))["tokens"]
    workflows = _ok(client.get("/v2/workflows", headers=a.headers))["workflows"]
    secret_workflow = post("/v2/workflows", {
        "name": "Secret Workflow Pangolin", "statuses": [{"name": "Secret Status Dugong", "category": "todo"}],
        "initial_status": "Secret Status Dugong"})
    schemes = _ok(client.get("/v2/workflow-schemes", headers=a.headers))["workflow_schemes"]
    issue_types = _ok(client.get("/v2/issue-types", headers=a.headers))["issue_types"]
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
    _ok(client.post(f"/v2/sprints/{b_sprint['id']}/start", json={}, headers=b.headers))
    dashboard = post("/v2/dashboards", {"name": "Secret Dashboard Caracal", "shares": [{"type": "organization"}],
                                        "layout": {"gadgets": [{"type": "filter_results",
                                                                "config": {"filter_id": saved_filter["id"]}}]}})
    b_dashboard = post("/v2/dashboards", {"name": "B dashboard"}, b)
    ids = {
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
        "dashboard_id": dashboard["id"], "b_dashboard_id": b_dashboard["id"],
    }
    secrets = ["Secret", "Zebra", "Okapi", "Quokka", "Narwhal", "Axolotl", "Ibex", "Lynx", "Gecko", "Marmot",
               "tapir", "Pangolin", "Dugong", "Wombat", "Ocelot", "Kudu", "Tarsier", "Caracal", project["key"], story["key"], epic["key"], member.email,
               a.admin_email, a.key]
    return World(a=a, b=b, ids=ids, secrets=secrets)


@pytest.fixture
def world(client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle) -> World:
    return _world(client, database_url, org, other_org)


# --- Addressing A's resources in the path -------------------------------------------------------

@dataclass(frozen=True)
class PathProbe:
    """`params` are the path values naming A's resource; `missing` the same for nothing at all."""

    method: str
    template: str
    params: Callable[[dict], dict]
    missing: dict
    body: dict | None = None
    query: str = ""


def _issue(ref: str) -> Callable[[dict], dict]:
    return lambda ids: {"issue_id": ids[ref]}


ISSUE_PROBES = [
    (method, template, body)
    for method, template, body in [
        ("GET", "/v2/issues/{issue_id}", None),
        ("PUT", "/v2/issues/{issue_id}", {"summary": "hijacked"}),
        ("DELETE", "/v2/issues/{issue_id}", None),
        ("GET", "/v2/issues/{issue_id}/changelog", None),
        ("GET", "/v2/issues/{issue_id}/transitions", None),
        ("POST", "/v2/issues/{issue_id}/transitions/{transition_id}", None),
        ("GET", "/v2/issues/{issue_id}/comments", None),
        ("POST", "/v2/issues/{issue_id}/comments", {"body": "hijacked"}),
        ("GET", "/v2/issues/{issue_id}/mentionable", None),
        ("GET", "/v2/issues/{issue_id}/watchers", None),
        ("PUT", "/v2/issues/{issue_id}/watch", None),
        ("DELETE", "/v2/issues/{issue_id}/watch", None),
        ("GET", "/v2/issues/{issue_id}/votes", None),
        ("PUT", "/v2/issues/{issue_id}/vote", None),
        ("DELETE", "/v2/issues/{issue_id}/vote", None),
        ("GET", "/v2/issues/{issue_id}/attachments", None),
        ("POST", "/v2/issues/{issue_id}/attachments", None),
        ("PUT", "/v2/issues/{issue_id}/rank", {"rank_before": "NOPE-1"}),
    ]
]


def _path_probes() -> list[PathProbe]:
    probes: list[PathProbe] = []
    for method, template, body in ISSUE_PROBES:
        for ref, missing in (("story_id", MISSING_ID), ("story_key", "NOPE-424242")):
            params = (lambda r: lambda ids: {"issue_id": ids[r], "transition_id": "11"})(ref)
            probes.append(PathProbe(method, template, params, {"issue_id": missing, "transition_id": "11"}, body))
    project_ops = [
        ("GET", "/v2/projects/{project_id}", None, {}),
        ("PUT", "/v2/projects/{project_id}", {"name": "hijacked"}, {}),
        ("GET", "/v2/projects/{project_id}/roles", None, {}),
        ("PUT", "/v2/projects/{project_id}/roles/{role}", {"user_ids": []}, {"role": "developers"}),
        ("GET", "/v2/projects/{project_id}/components", None, {}),
        ("POST", "/v2/projects/{project_id}/components", {"name": "hijacked"}, {}),
        ("GET", "/v2/projects/{project_id}/versions", None, {}),
        ("POST", "/v2/projects/{project_id}/versions", {"name": "hijacked"}, {}),
        ("PUT", "/v2/projects/{project_id}/workflow-scheme", {"workflow_scheme_id": MISSING_ID}, {}),
        *[("GET", f"/v2/projects/{{project_id}}/reports/{report}", None, {}) for report in (
            "burndown", "burnup", "velocity", "cycle-time", "control-chart", "cumulative-flow", "created-vs-resolved",
            "time-in-status")],
    ]
    for method, template, body, extra in project_ops:
        for ref, missing in (("project_id", MISSING_ID), ("project_key", "NOPEKEY")):
            params = (lambda r, e: lambda ids: {"project_id": ids[r], **e})(ref, extra)
            probes.append(PathProbe(method, template, params, {"project_id": missing, **extra}, body))
    for kind in ("components", "versions"):
        ref = f"{kind[:-1]}_id"
        for method, body in (("GET", None), ("PUT", {"name": "hijacked"}), ("DELETE", None)):
            probes.append(PathProbe(method, f"/v2/{kind}/{{part_id}}", (lambda r: lambda ids: {"part_id": ids[r]})(ref),
                                    {"part_id": MISSING_ID}, body))
    for ref in ("member_id", "admin_id"):
        for method, body in (("GET", None), ("PUT", {"name": "hijacked"})):
            probes.append(PathProbe(method, "/v2/users/{user_id}", (lambda r: lambda ids: {"user_id": ids[r]})(ref),
                                    {"user_id": MISSING_ID}, body))
        probes.append(PathProbe("GET", "/v2/users/{user_id}/tokens", (lambda r: lambda ids: {"user_id": ids[r]})(ref),
                                {"user_id": MISSING_ID}))
    probes += [
        PathProbe("DELETE", "/v2/myself/tokens/{token_id}", lambda ids: {"token_id": ids["token_id"]},
                  {"token_id": MISSING_ID}),
        PathProbe("DELETE", "/v2/users/{user_id}/tokens/{token_id}",
                  lambda ids: {"user_id": ids["admin_id"], "token_id": ids["token_id"]},
                  {"user_id": MISSING_ID, "token_id": MISSING_ID}),
        PathProbe("POST", "/v2/fields/{field_id}/options", lambda ids: {"field_id": ids["field_id"]},
                  {"field_id": MISSING_ID}, {"value": "hijacked"}),
        PathProbe("GET", "/v2/issue-links/{link_id}", lambda ids: {"link_id": ids["link_id"]},
                  {"link_id": MISSING_ID}),
        PathProbe("DELETE", "/v2/issue-links/{link_id}", lambda ids: {"link_id": ids["link_id"]},
                  {"link_id": MISSING_ID}),
        # A's workflow and A's issue: exactly like an unknown issue.
        PathProbe("GET", "/v2/workflows/{workflow_id}/transitions",
                  lambda ids: {"workflow_id": ids["workflow_id"], "issue_id": ids["story_key"]},
                  {"workflow_id": "workflow_default", "issue_id": "NOPE-424242"}, query="?issue_id={issue_id}"),
        # A's workflow id with B's own issue: exactly like an unknown workflow id.
        PathProbe("GET", "/v2/workflows/{workflow_id}/transitions",
                  lambda ids: {"workflow_id": ids["workflow_id"], "issue_id": ids["b_story_key"]},
                  {"workflow_id": MISSING_ID, "issue_id": "{b_story_key}"}, query="?issue_id={issue_id}"),
    ]
    draft = {"name": "Hijacked", "statuses": [{"name": "Hijacked", "category": "todo"}],
             "initial_status": "Hijacked"}
    for ref in ("workflow_id", "secret_workflow_id"):
        workflow = (lambda r: lambda ids: {"workflow_id": ids[r]})(ref)
        probes += [
            PathProbe("GET", "/v2/workflows/{workflow_id}", workflow, {"workflow_id": MISSING_ID}),
            PathProbe("PUT", "/v2/workflows/{workflow_id}", workflow, {"workflow_id": MISSING_ID}, draft),
            PathProbe("DELETE", "/v2/workflows/{workflow_id}/draft", workflow, {"workflow_id": MISSING_ID}),
            PathProbe("POST", "/v2/workflows/{workflow_id}/publish", workflow, {"workflow_id": MISSING_ID}, {}),
            PathProbe("GET", "/v2/workflows/{workflow_id}/export", workflow, {"workflow_id": MISSING_ID}),
        ]
    saved_filter = lambda ids: {"filter_id": ids["filter_id"]}  # noqa: E731
    probes += [
        PathProbe("GET", "/v2/filters/{filter_id}", saved_filter, {"filter_id": MISSING_ID}),
        PathProbe("PUT", "/v2/filters/{filter_id}", saved_filter, {"filter_id": MISSING_ID}, {"name": "hijacked"}),
        PathProbe("DELETE", "/v2/filters/{filter_id}", saved_filter, {"filter_id": MISSING_ID}),
        PathProbe("PUT", "/v2/filters/{filter_id}/favourite", saved_filter, {"filter_id": MISSING_ID}),
        PathProbe("DELETE", "/v2/filters/{filter_id}/favourite", saved_filter, {"filter_id": MISSING_ID}),
    ]
    attachment = lambda ids: {"attachment_id": ids["attachment_id"]}  # noqa: E731
    probes += [PathProbe(method, template, attachment, {"attachment_id": MISSING_ID}) for method, template in (
        ("GET", "/v2/attachments/{attachment_id}"), ("GET", "/v2/attachments/{attachment_id}/content"),
        ("DELETE", "/v2/attachments/{attachment_id}"))]
    # A's comment under A's issue, and A's comment id under B's own issue: both exactly like a missing comment.
    for method, suffix, body in (("GET", "", None), ("PUT", "", {"body": "hijacked"}), ("DELETE", "", None),
                                 ("GET", "/history", None)):
        template = "/v2/issues/{issue_id}/comments/{comment_id}" + suffix
        probes += [
            PathProbe(method, template, lambda ids: {"issue_id": ids["story_id"], "comment_id": ids["comment_id"]},
                      {"issue_id": MISSING_ID, "comment_id": MISSING_ID}, body),
            PathProbe(method, template, lambda ids: {"issue_id": ids["b_story_id"], "comment_id": ids["comment_id"]},
                      {"issue_id": "{b_story_id}", "comment_id": MISSING_ID}, body),
        ]
    board = lambda ids: {"board_id": ids["board_id"]}  # noqa: E731
    probes += [PathProbe(method, template, board, {"board_id": MISSING_ID}, body) for method, template, body in (
        ("GET", "/v2/boards/{board_id}", None), ("PUT", "/v2/boards/{board_id}", {"name": "hijacked"}),
        ("DELETE", "/v2/boards/{board_id}", None), ("GET", "/v2/boards/{board_id}/issues", None),
        ("GET", "/v2/boards/{board_id}/backlog", None), ("GET", "/v2/boards/{board_id}/sprints", None),
        ("POST", "/v2/boards/{board_id}/sprints", {"name": "hijacked"}))]
    sprint = lambda ids: {"sprint_id": ids["sprint_id"]}  # noqa: E731
    probes += [PathProbe(method, template, sprint, {"sprint_id": MISSING_ID}, body) for method, template, body in (
        ("GET", "/v2/sprints/{sprint_id}", None), ("PUT", "/v2/sprints/{sprint_id}", {"name": "hijacked"}),
        ("POST", "/v2/sprints/{sprint_id}/start", {}), ("POST", "/v2/sprints/{sprint_id}/complete", {}),
        ("GET", "/v2/sprints/{sprint_id}/issues", None), ("POST", "/v2/sprints/{sprint_id}/issues", {"issues": ["NOPE-1"]}),
        ("GET", "/v2/sprints/{sprint_id}/scope-changes", None))]
    # A's board or sprint with B's own issue, and B's own board or sprint with A's issue: all like missing ones.
    for template, body in (("/v2/boards/{board_id}/issues/{issue_id}/move", {"column": "Done"}),
                           ("/v2/sprints/{sprint_id}/issues/{issue_id}", None)):
        name = "board_id" if "board_id" in template else "sprint_id"
        method = "POST" if body else "DELETE"
        probes += [
            PathProbe(method, template, (lambda n: lambda ids: {n: ids[n], "issue_id": ids["b_story_id"]})(name),
                      {name: MISSING_ID, "issue_id": "{b_story_id}"}, body),
            PathProbe(method, template, (lambda n: lambda ids: {n: ids[f"b_{n}"], "issue_id": ids["story_id"]})(name),
                      {name: f"{{b_{name}}}", "issue_id": MISSING_ID}, body),
        ]
    # B's own project with A's sprint or board in the query: exactly like missing ones.
    probes += [
        PathProbe("GET", "/v2/projects/{project_id}/reports/burndown",
                  lambda ids: {"project_id": ids["b_project_id"], "sprint_id": ids["sprint_id"]},
                  {"project_id": "{b_project_id}", "sprint_id": MISSING_ID}, query="?sprint_id={sprint_id}"),
        PathProbe("GET", "/v2/projects/{project_id}/reports/velocity",
                  lambda ids: {"project_id": ids["b_project_id"], "board_id": ids["board_id"]},
                  {"project_id": "{b_project_id}", "board_id": MISSING_ID}, query="?board_id={board_id}"),
    ]
    dashboard = lambda ids: {"dashboard_id": ids["dashboard_id"]}  # noqa: E731
    probes += [PathProbe(method, template, dashboard, {"dashboard_id": MISSING_ID}, body) for method, template, body in (
        ("GET", "/v2/dashboards/{dashboard_id}", None), ("PUT", "/v2/dashboards/{dashboard_id}", {"name": "hijacked"}),
        ("DELETE", "/v2/dashboards/{dashboard_id}", None), ("GET", "/v2/dashboards/{dashboard_id}/data", None))]
    probes.append(PathProbe("PUT", "/v2/workflow-schemes/{scheme_id}", lambda ids: {"scheme_id": ids["scheme_id"]},
                            {"scheme_id": MISSING_ID}, {"name": "Hijacked", "default_workflow": "default"}))
    return probes


PATH_PROBES = _path_probes()


def _url(probe: PathProbe, values: dict, ids: dict) -> str:
    values = {k: (str(v).format(**ids) if isinstance(v, str) else v) for k, v in values.items()}
    path_values = {k: v for k, v in values.items() if "{" + k + "}" in probe.template}
    return probe.template.format(**path_values) + probe.query.format(**values)


def _send(client: TestClient, org: OrgHandle, method: str, url: str, body: dict | None) -> Any:
    kwargs: dict[str, Any] = {"headers": org.headers}
    if body is not None:
        kwargs["json"] = body
    return client.request(method, url, **kwargs)


def _assert_no_leak(world: World, text: str, where: str) -> None:
    for secret in world.secrets:
        assert secret.lower() not in text.lower(), f"{where} leaks {secret!r}: {text}"


def test_paths_naming_another_organizations_resources_answer_as_missing(client: TestClient, world: World) -> None:
    for probe in PATH_PROBES:
        foreign_url = _url(probe, probe.params(world.ids), world.ids)
        missing_url = _url(probe, probe.missing, world.ids)
        foreign = _send(client, world.b, probe.method, foreign_url, probe.body)
        missing = _send(client, world.b, probe.method, missing_url, probe.body)
        where = f"{probe.method} {foreign_url}"
        assert foreign.status_code not in (200, 201, 204, 403), f"{where}: {foreign.status_code} {foreign.text}"
        assert foreign.status_code == missing.status_code, (where, foreign.text, missing.text)
        assert foreign.status_code in (400, 404), (where, foreign.text)
        assert foreign.json() == missing.json(), (where, foreign.text, missing.text)
        _assert_no_leak(world, foreign.text, where)
    _assert_a_is_untouched(client, world)


def _assert_a_is_untouched(client: TestClient, world: World) -> None:
    a, ids = world.a, world.ids
    story = _ok(client.get(f"/v2/issues/{ids['story_id']}?expand=changelog", headers=a.headers))
    assert story["summary"] == "Secret story Lynx" and story["version"] == 1
    assert story["status"]["id"] == ids["status_id"]
    assert story["changelog"] == [] or all(h["author"]["id"] == a.admin_user_id for h in story["changelog"])
    comments = _ok(client.get(f"/v2/issues/{ids['story_id']}/comments", headers=a.headers))["comments"]
    assert [c["body"] for c in comments] == ["Secret comment Marmot"]
    assert comments[0]["version"] == 1
    history = _ok(client.get(f"/v2/issues/{ids['story_id']}/comments/{ids['comment_id']}/history",
                             headers=a.headers))
    assert [r["body"] for r in history["revisions"]] == ["Secret comment Marmot"]
    watchers = _ok(client.get(f"/v2/issues/{ids['story_id']}/watchers", headers=a.headers))
    assert {w["id"] for w in watchers["watchers"]} == {a.admin_user_id, ids["member_id"]}
    assert _ok(client.get(f"/v2/issues/{ids['story_id']}/votes", headers=a.headers))["votes"] == 0
    content = client.get(f"/v2/attachments/{ids['attachment_id']}/content", headers=a.headers)
    assert content.status_code == 200 and content.content == b"Secret bytes Ocelot"
    project = _ok(client.get(f"/v2/projects/{ids['project_id']}", headers=a.headers))
    assert project["name"] == "Secret Project Zebra" and project["version"] == 1
    roles = _ok(client.get(f"/v2/projects/{ids['project_id']}/roles", headers=a.headers))["roles"]
    assert roles["administrators"] == [a.admin_user_id]
    components = _ok(client.get(f"/v2/projects/{ids['project_id']}/components", headers=a.headers))["components"]
    assert [c["name"] for c in components] == ["Secret Component Okapi"]
    versions = _ok(client.get(f"/v2/projects/{ids['project_id']}/versions", headers=a.headers))["versions"]
    assert [v["name"] for v in versions] == ["Secret Version Quokka"]
    assert _ok(client.get(f"/v2/issue-links/{ids['link_id']}", headers=a.headers))["id"] == ids["link_id"]
    member = _ok(client.get(f"/v2/users/{ids['member_id']}", headers=a.headers))
    assert member["display_name"] != "hijacked"
    fields = _ok(client.get("/v2/fields", headers=a.headers))["fields"]
    [narwhal] = [f for f in fields if f.get("numeric_id") == ids["field_id"]]
    assert [o["value"] for o in narwhal["options"]] == ["Opt Axolotl"]
    tokens = _ok(client.get("/v2/myself/tokens", headers=a.headers))["tokens"]
    assert not any(t["revoked"] for t in tokens)
    saved_filter = _ok(client.get(f"/v2/filters/{ids['filter_id']}", headers=a.headers))
    assert saved_filter["name"] == "Secret Filter Wombat" and saved_filter["version"] == 1
    assert saved_filter["favourite_count"] == 1 and len(saved_filter["shares"]) == 2
    board = _ok(client.get(f"/v2/boards/{ids['board_id']}", headers=a.headers))
    assert board["name"] == "Secret Board Kudu" and board["version"] == 1
    sprint = _ok(client.get(f"/v2/sprints/{ids['sprint_id']}", headers=a.headers))
    assert (sprint["name"], sprint["state"]) == ("Secret Sprint Tarsier", "future")
    dashboard = _ok(client.get(f"/v2/dashboards/{ids['dashboard_id']}", headers=a.headers))
    assert dashboard["name"] == "Secret Dashboard Caracal" and dashboard["version"] == 1
    assert client.get("/v2/myself", headers=a.headers).status_code == 200


# --- References to A's resources inside B's request bodies --------------------------------------

def _assert_rejected_like_missing(client: TestClient, world: World, method: str, url: str, body: dict,
                                  missing_body: dict, field_name: str, foreign_ref: object,
                                  missing_ref: object) -> None:
    foreign = _send(client, world.b, method, url, body)
    missing = _send(client, world.b, method, url, missing_body)
    where = f"{method} {url} {body}"
    assert foreign.status_code == 400, (where, foreign.text)
    assert missing.status_code == 400, (where, missing.text)
    error, missing_error = foreign.json()["error"], missing.json()["error"]
    assert error["field"] == field_name, (where, error)
    assert error["code"] == missing_error["code"], (where, error, missing_error)
    # The message may echo what the client sent, nothing more.
    normalized = error["message"].replace(f"'{foreign_ref}'", "'<ref>'")
    assert normalized == missing_error["message"].replace(f"'{missing_ref}'", "'<ref>'"), (where, error, missing_error)
    _assert_no_leak(world, normalized, where)


def _reference_cases(ids: dict) -> Iterator[tuple[str, str, str, object, object, Callable[[object], dict]]]:
    """(method, url, field, A's ref, missing ref, body for a ref) for every reference in a body."""
    new = {"project_id": ids["b_project_id"], "issue_type": "Story", "summary": "B issue"}
    yield "POST", "/v2/issues", "project_id", ids["project_id"], MISSING_ID, lambda r: {**new, "project_id": r}
    yield "POST", "/v2/issues", "project_id", ids["project_key"], "NOPEKEY", lambda r: {**new, "project_id": r}
    for name in ("assignee_id", "reporter_id"):
        yield "POST", "/v2/issues", name, ids["member_id"], MISSING_ID, (lambda n: lambda r: {**new, n: r})(name)
    yield "POST", "/v2/issues", "parent_id", ids["epic_id"], MISSING_ID, lambda r: {**new, "parent_id": r}
    yield "POST", "/v2/issues", "parent_id", ids["epic_key"], "NOPE-424242", lambda r: {**new, "parent_id": r}
    yield ("POST", "/v2/issues", "parent_id", ids["story_id"], MISSING_ID,
           lambda r: {**new, "issue_type": "Sub-task", "parent_id": r})
    for name, ref in (("components", "component_id"), ("fix_versions", "version_id"),
                      ("affected_versions", "version_id")):
        yield "POST", "/v2/issues", name, ids[ref], MISSING_ID, (lambda n: lambda r: {**new, n: [r]})(name)
    yield ("POST", "/v2/issues", f"custom_fields.{ids['field_ref']}", ids["field_ref"], "customfield_999999999",
           lambda r: {**new, "custom_fields": {str(r): "Opt Axolotl"}})
    yield ("POST", "/v2/issues", f"custom_fields.{ids['field_key']}", ids["field_key"], "no_such_field",
           lambda r: {**new, "custom_fields": {str(r): "Opt Axolotl"}})
    yield "POST", "/v2/issues", "workflow_id", ids["workflow_id"], MISSING_ID, lambda r: {**new, "workflow_id": r}
    b_issue = f"/v2/issues/{ids['b_story_id']}"
    for name in ("assignee_id", "reporter_id"):
        yield "PUT", b_issue, name, ids["member_id"], MISSING_ID, (lambda n: lambda r: {n: r})(name)
    yield "PUT", b_issue, "parent_id", ids["epic_key"], "NOPE-424242", lambda r: {"parent_id": r}
    yield "PUT", b_issue, "components", ids["component_id"], MISSING_ID, lambda r: {"components": [r]}
    yield "PUT", b_issue, "fix_versions", ids["version_id"], MISSING_ID, lambda r: {"fix_versions": [r]}
    yield "POST", "/v2/issue-links", "outward_issue", ids["story_key"], "NOPE-424242", lambda r: {
        "type": "blocks", "outward_issue": r, "inward_issue": ids["b_story_key"]}
    yield "POST", "/v2/issue-links", "inward_issue", ids["story_id"], MISSING_ID, lambda r: {
        "type": "blocks", "outward_issue": ids["b_story_key"], "inward_issue": r}
    yield "POST", "/v2/projects", "lead_id", ids["member_id"], MISSING_ID, lambda r: {
        "key": unique_key("L")[:10], "name": "Led by a stranger", "lead_id": r}
    b_project = f"/v2/projects/{ids['b_project_id']}"
    yield "PUT", b_project, "lead_id", ids["admin_id"], MISSING_ID, lambda r: {"lead_id": r}
    yield "PUT", f"{b_project}/roles/developers", "user_ids", ids["member_id"], MISSING_ID, lambda r: {"user_ids": [r]}
    yield "POST", f"{b_project}/components", "lead_id", ids["member_id"], MISSING_ID, lambda r: {
        "name": f"C{unique_key()}", "lead_id": r}
    yield "POST", "/v2/fields", "project_ids", ids["project_id"], MISSING_ID, lambda r: {
        "name": f"F{unique_key()}", "field_type": "number", "project_ids": [r]}
    yield "POST", "/v2/workflow-schemes", "default_workflow", ids["secret_workflow_id"], MISSING_ID, lambda r: {
        "name": f"S{unique_key()}", "default_workflow": r}
    yield ("POST", "/v2/workflow-schemes", f"mappings.{ids['issue_type_id']}", ids["issue_type_id"], MISSING_ID,
           lambda r: {"name": f"S{unique_key()}", "default_workflow": "default", "mappings": {str(r): "default"}})
    share = lambda **spec: lambda r: {"name": f"F{unique_key()}", "jql": "",  # noqa: E731
                                      "shares": [{k: (r if v is None else v) for k, v in spec.items()}]}
    for ref, missing in ((ids["project_id"], MISSING_ID), (ids["project_key"], "NOPEKEY")):
        yield "POST", "/v2/filters", "shares.0.project_id", ref, missing, share(type="project", project_id=None)
        yield ("POST", "/v2/filters", "shares.0.project_id", ref, missing,
               share(type="project_role", project_id=None, role="users"))
    yield "POST", "/v2/filters", "shares.0.user_id", ids["member_id"], MISSING_ID, share(type="user", user_id=None)
    yield "PUT", f"{b_issue}/watch", "user_id", ids["member_id"], MISSING_ID, lambda r: {"user_id": r}
    yield "POST", f"{b_issue}/comments", "parent_id", ids["comment_id"], MISSING_ID, lambda r: {
        "body": "B's reply", "parent_id": r}
    yield ("PUT", f"/v2/filters/{ids['b_filter_id']}", "shares.0.user_id", ids["admin_id"], MISSING_ID,
           lambda r: {"shares": [{"type": "user", "user_id": r}]})
    board = {"name": "B's", "project_id": ids["b_project_id"]}
    for ref, missing in ((ids["project_id"], MISSING_ID), (ids["project_key"], "NOPEKEY")):
        yield "POST", "/v2/boards", "project_id", ref, missing, lambda r: {**board, "project_id": r}
    yield "POST", "/v2/boards", "filter_id", ids["filter_id"], MISSING_ID, lambda r: {**board, "filter_id": r}
    yield "PUT", f"/v2/boards/{ids['b_board_id']}", "filter_id", ids["filter_id"], MISSING_ID, lambda r: {"filter_id": r}
    b_sprint = f"/v2/sprints/{ids['b_sprint_id']}"
    for ref, missing in ((ids["story_id"], MISSING_ID), (ids["story_key"], "NOPE-424242")):
        yield "POST", f"{b_sprint}/issues", "issues.0", ref, missing, lambda r: {"issues": [r]}
        yield "POST", f"{b_sprint}/issues", "rank_before", ref, missing, lambda r: {
            "issues": [ids["b_story_key"]], "rank_before": r}
        yield "PUT", f"{b_issue}/rank", "rank_after", ref, missing, lambda r: {"rank_after": r}
        yield "POST", f"/v2/boards/{ids['b_board_id']}/issues/{ids['b_story_id']}/move", "rank_before", ref, missing, \
            lambda r: {"rank_before": r}
    yield "POST", f"{b_sprint}/complete", "move_open_issues_to", ids["sprint_id"], MISSING_ID, lambda r: {
        "move_open_issues_to": r}
    for method, url in (("POST", "/v2/dashboards"), ("PUT", f"/v2/dashboards/{ids['b_dashboard_id']}")):
        layout = lambda kind, **config: lambda r: {"name": "B's", "layout": {"gadgets": [  # noqa: E731
            {"type": kind, "config": {k: (r if v is None else v) for k, v in config.items()}}]}}
        yield method, url, "layout.gadgets[0].config.board_id", ids["board_id"], MISSING_ID, layout(
            "velocity", board_id=None)
        yield method, url, "layout.gadgets[0].config.filter_id", ids["filter_id"], MISSING_ID, layout(
            "pie_chart", filter_id=None, field="status")
        yield method, url, "layout.gadgets[0].config.jql", ids["project_key"], "NOPEKEY", lambda r: {
            "name": "B's", "layout": {"gadgets": [{"type": "filter_results", "config": {"jql": f"project = {r}"}}]}}
        yield method, url, "shares.0.project_id", ids["project_id"], MISSING_ID, lambda r: {
            "name": "B's", "shares": [{"type": "project", "project_id": r}]}


def test_references_to_another_organizations_resources_are_rejected_like_missing_ones(
        client: TestClient, world: World) -> None:
    for method, url, field_name, foreign_ref, missing_ref, body in _reference_cases(world.ids):
        _assert_rejected_like_missing(client, world, method, url, body(foreign_ref), body(missing_ref), field_name,
                                      foreign_ref, missing_ref)
    # A select option of A's field, given by id to B's user-type field: not a user of B.
    b_field = _ok(client.post("/v2/fields", json={"name": "B reviewer", "field_type": "user"},
                              headers=world.b.headers), 201)
    response = client.post("/v2/issues", headers=world.b.headers, json={
        "project_id": world.ids["b_project_id"], "issue_type": "Story", "summary": "x",
        "custom_fields": {b_field["key"]: world.ids["member_id"]}})
    assert response.status_code == 400 and response.json()["error"]["field"] == f"custom_fields.{b_field['key']}"
    # Nothing was created in B by the refused requests.
    project = _ok(client.get(f"/v2/projects/{world.ids['b_project_id']}", headers=world.b.headers))
    assert project["issue_count_estimate"] == 2
    b_filters = _ok(client.get("/v2/filters", headers=world.b.headers))["filters"]
    assert [(f["id"], f["version"]) for f in b_filters] == [(world.ids["b_filter_id"], 1)]
    b_story = _ok(client.get(f"/v2/issues/{world.ids['b_story_id']}", headers=world.b.headers))
    assert b_story["version"] == 1 and b_story["assignee"] is None and b_story["parent"] is None
    _assert_a_is_untouched(client, world)


# --- Collections and one's own resources -------------------------------------------------------

LISTS = {
    "/v2/projects": "projects", "/v2/users": "users", "/v2/fields": "fields", "/v2/issue-types": "issue_types",
    "/v2/priorities": "priorities", "/v2/resolutions": "resolutions", "/v2/statuses": "statuses",
    "/v2/link-types": "link_types", "/v2/workflows": "workflows", "/v2/myself/tokens": "tokens",
    "/v2/workflow-schemes": "workflow_schemes", "/v2/filters": "filters", "/v2/filters/favourite": "filters",
    "/v2/boards": "boards", "/v2/dashboards": "dashboards",
}


def _row_ids(rows: list[dict]) -> set[object]:
    return {row.get("numeric_id", row["id"]) for row in rows if row.get("custom", True) is not False}


def test_lists_hold_only_the_callers_organization(client: TestClient, world: World) -> None:
    for url, key in LISTS.items():
        seen_by_a = _ok(client.get(url, headers=world.a.headers))[key]
        seen_by_b = _ok(client.get(url, headers=world.b.headers))[key]
        assert seen_by_a, url
        overlap = _row_ids(seen_by_a) & _row_ids(seen_by_b)
        assert not overlap, (url, overlap)
        _assert_no_leak(world, str(seen_by_b), url)
    for query in ("secret", world.ids["member_email"], world.a.admin_email, "a"):
        users = _ok(client.get("/v2/users", params={"query": query}, headers=world.b.headers))["users"]
        assert {u["id"] for u in users} <= {world.b.admin_user_id}, (query, users)
    myself = _ok(client.get("/v2/myself", headers=world.b.headers))
    assert myself["id"] == world.b.admin_user_id and myself["organization_key"] == world.b.key


def test_keys_names_and_emails_are_per_organization(client: TestClient, world: World) -> None:
    """B may reuse A's project key, field name and user email; that creates B's own rows."""
    b = world.b
    project = client.post("/v2/projects", json={"key": world.ids["project_key"], "name": "Same key"},
                          headers=b.headers)
    assert project.status_code == 201, project.text
    assert project.json()["id"] != world.ids["project_id"]
    field_response = client.post("/v2/fields", json={"name": "Secret Field Narwhal", "field_type": "text"},
                                 headers=b.headers)
    assert field_response.status_code == 201, field_response.text
    user = client.post("/v2/users", json={"email": world.ids["member_email"], "name": "Namesake"},
                       headers=b.headers)
    assert user.status_code == 201, user.text
    assert user.json()["id"] != world.ids["member_id"]
    issue = _ok(client.post("/v2/issues", json={"project_id": world.ids["project_key"], "issue_type": "Task",
                                                "summary": "In B"}, headers=b.headers), 201)
    assert issue["key"] == f"{world.ids['project_key']}-1"
    # A's issue with the same number keeps answering to A, and B's to B.
    assert _ok(client.get(f"/v2/issues/{issue['key']}", headers=world.a.headers))["summary"] != "In B"
    assert _ok(client.get(f"/v2/issues/{issue['key']}", headers=b.headers))["id"] == issue["id"]
    token = _ok(client.post("/v2/myself/tokens", json={"name": "b-extra"}, headers=b.headers), 201)["api_token"]
    assert _ok(client.get("/v2/myself", headers={"Authorization": f"Bearer {token}"}))["organization_key"] == b.key


def test_a_password_login_is_scoped_to_the_named_organization(client: TestClient, world: World) -> None:
    client.cookies.clear()
    try:
        wrong_org = client.post("/v2/session", json={"email": world.a.admin_email,
                                                     "password": world.a.admin_password, "organization": world.b.key})
        assert wrong_org.status_code == 401, wrong_org.text
        assert "tessera_session" not in wrong_org.cookies
        right_org = client.post("/v2/session", json={"email": world.a.admin_email,
                                                     "password": world.a.admin_password, "organization": world.a.key})
        assert right_org.status_code == 200, right_org.text
        assert right_org.json()["organization_key"] == world.a.key
        assert client.get(f"/v2/issues/{world.ids['story_id']}").status_code == 200
        foreign = client.get(f"/v2/issues/{world.ids['b_story_id']}")
        missing = client.get(f"/v2/issues/{MISSING_ID}")
        assert foreign.status_code == 404 and foreign.json() == missing.json()
        assert client.delete("/v2/session").status_code == 204
    finally:
        client.cookies.clear()


# --- JQL: autocomplete and search name only the caller's organization ---------------------------

def test_jql_autocomplete_offers_only_the_callers_organization(client: TestClient, world: World) -> None:
    b, ids = world.b, world.ids
    get = lambda **params: client.get("/v2/jql/autocomplete", params=params, headers=b.headers)  # noqa: E731
    assert _ok(get(prefix="Secret"))["fields"] == []
    every_field = _ok(get())["fields"]
    assert every_field and f"cf[{10_000 + ids['field_id']}]" not in {f.get("cf_id") for f in every_field}
    _assert_no_leak(world, str(every_field), "autocomplete fields")
    _assert_no_leak(world, client.get("/v2/jql/autocomplete/data", headers=b.headers).text, "autocomplete data")
    for field_name in ("project", "assignee", "reporter", "watcher", "labels", "component", "fixVersion",
                       "affectedVersion", "sprint", "filter", "status", "issuetype", "key"):
        for value in ("", "s", "secret", ids["project_key"][:3], ids["member_email"][:4], "Opt", "user"):
            response = get(field=field_name, value=value)
            where = f"autocomplete {field_name}={value!r}"
            assert response.status_code == 200, (where, response.text)
            _assert_no_leak(world, response.text, where)
    projects = _ok(get(field="project"))["results"]
    assert [p["value"] for p in projects] == [_ok(client.get(f"/v2/projects/{ids['b_project_id']}",
                                                             headers=b.headers))["key"]]
    users = _ok(get(field="assignee", value=""))["results"]
    assert {u["value"].strip('"') for u in users if "(" not in u["value"]} == {b.admin_email}
    # A's custom field, by name or by cf[id], is unknown to B exactly like a missing one.
    for foreign, missing in ((f"cf[{10_000 + ids['field_id']}]", "cf[987654321]"),
                             ("Secret Field Narwhal", "No Such Field At All")):
        foreign_response, missing_response = get(field=foreign), get(field=missing)
        assert foreign_response.status_code == missing_response.status_code == 400, foreign_response.text
        assert foreign_response.json()["error"]["message"].replace(foreign, "<ref>") == \
            missing_response.json()["error"]["message"].replace(missing, "<ref>")
        _assert_no_leak(world, foreign_response.text.replace(foreign, ""), f"autocomplete {foreign}")


def _search_cases(ids: dict) -> list[tuple[str, str, str]]:
    """(JQL template, A's value, a value that names nothing): B's query naming A's value must
    answer exactly like the one naming nothing."""
    return [
        ("project = {}", ids["project_key"], "NOPEKEY"),
        ("project in ({}, NOPEKEY2)", str(ids["project_id"]), str(MISSING_ID)),
        ("key = {}", ids["story_key"], "NOPE-424242"),
        ("issuekey in ({}, NOPE-1)", str(ids["story_id"]), str(MISSING_ID)),
        ("parent = {}", ids["epic_key"], "NOPE-424243"),
        ("issue in linkedIssues({})", ids["story_key"], "NOPE-424244"),
        ('assignee = "{}"', ids["member_email"], "nobody@nowhere.test"),
        ("reporter in ({})", str(ids["admin_id"]), str(MISSING_ID)),
        ("assignee was {}", str(ids["member_id"]), str(MISSING_ID)),
        ('issue in updatedBy("{}")', ids["member_email"], "nobody@nowhere.test"),
        ('component = "{}"', "Secret Component Okapi", "No Such Component"),
        ('fixVersion = "{}"', "Secret Version Quokka", "No Such Version"),
        ('status = "{}"', "Secret Status Dugong", "No Such Status"),
        ('labels = "{}"', "secret-label-tapir", "no-such-label"),
        ('"{}" = "Opt Axolotl"', "Secret Field Narwhal", "No Such Field"),
        ('{} = "Opt Axolotl"', f"cf[{10_000 + ids['field_id']}]", "cf[987654321]"),
        ("filter = {}", str(ids["filter_id"]), str(MISSING_ID)),
        ('filter = "{}"', "Secret Filter Wombat", "No Such Filter"),
        ('text ~ "{}"', "Lynx", "Nonexistentword"),
    ]


def test_search_never_names_or_returns_another_organizations_data(client: TestClient, world: World) -> None:
    b, ids = world.b, world.ids
    a_issue_ids = {ids["story_id"], ids["epic_id"], ids["task_id"]}
    for template, foreign_ref, missing_ref in _search_cases(ids):
        for method in ("POST", "GET"):
            answers = []
            for ref in (foreign_ref, missing_ref):
                jql = template.format(ref)
                if method == "POST":
                    response = client.post("/v2/search", json={"jql": jql}, headers=b.headers)
                else:
                    response = client.get("/v2/search", params={"jql": jql}, headers=b.headers)
                echoed = response.text.replace(f"'{ref}'", "'<ref>'").replace(f'\\"{ref}\\"', '\\"<ref>\\"')
                answers.append((response.status_code, echoed))
            where = f"{method} /v2/search {template.format(foreign_ref)!r}"
            assert answers[0] == answers[1], (where, answers)
            status, text = answers[0]
            assert status in (200, 400), (where, text)
            if status == 200:
                assert client.post("/v2/search", json={"jql": template.format(foreign_ref)},
                                   headers=b.headers).json()["total"] == 0, where
            _assert_no_leak(world, text, where)
    project_error = client.post("/v2/search", json={"jql": f"project = {ids['project_key']}"}, headers=b.headers)
    assert project_error.status_code == 400, project_error.text
    assert project_error.json()["error"]["message"].startswith(
        f"The value '{ids['project_key']}' does not exist for the field 'project'.")
    everything = _ok(client.post("/v2/search", json={"jql": "order by created", "max_results": 1000},
                                 headers=b.headers))
    assert {i["id"] for i in everything["issues"]} == {ids["b_epic_id"], ids["b_story_id"]}
    assert not a_issue_ids & {i["id"] for i in everything["issues"]}
    _assert_no_leak(world, str(everything), "search everything")
    listed = _ok(client.get("/v2/search", params={"jql": "", "max_results": 1000}, headers=b.headers))
    assert listed["total"] == 2


# --- Coverage: every /v2 operation is classified -------------------------------------------------

BODY_REFERENCE_OPERATIONS = {("POST", "/v2/issues"), ("POST", "/v2/issue-links"), ("POST", "/v2/projects"),
                             ("POST", "/v2/fields"), ("POST", "/v2/users"), ("POST", "/v2/myself/tokens"),
                             ("POST", "/v2/workflows"), ("POST", "/v2/workflow-schemes"), ("POST", "/v2/filters"),
                             ("POST", "/v2/boards"), ("POST", "/v2/dashboards")}
# Query-language endpoints: covered by test_jql_autocomplete_offers_only_the_callers_organization.
# test_search_never_names_or_returns_another_organizations_data covers /v2/search.
JQL_OPERATIONS = {("GET", "/v2/jql/autocomplete"), ("GET", "/v2/jql/autocomplete/data"), ("POST", "/v2/search"),
                  ("GET", "/v2/search")}
# The caller's own session and identity, and documents with no tenant data at all.
OWN_OPERATIONS = {("GET", "/v2/myself"), ("POST", "/v2/session"), ("DELETE", "/v2/session"),
                  ("POST", "/v2/session/revoke-all"),
                  ("GET", "/v2/workflows/schema"),
                  # A live ticket is the caller's own: test_live_tickets_open_only_their_own_organizations_streams.
                  ("POST", "/v2/live/tickets")}


def _operations_from_routes(routes: list, prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path is not None and methods:
            for method in methods - {"HEAD", "OPTIONS"}:
                yield method, prefix + path
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            yield from _operations_from_routes(original.routes, prefix + (getattr(context, "prefix", "") or ""))


def test_every_v2_operation_has_an_isolation_case(client: TestClient) -> None:
    schema = client.get("/v2/openapi.json").json()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item
                  if method in {"get", "put", "post", "delete", "patch"}}
    operations |= set(_operations_from_routes(list(client.app.routes)))
    v2 = {op for op in operations if op[1].startswith("/v2/") and op[1] != "/v2/openapi.json"}
    covered = ({(p.method, p.template) for p in PATH_PROBES} | {("GET", url) for url in LISTS}
               | BODY_REFERENCE_OPERATIONS | OWN_OPERATIONS | JQL_OPERATIONS)
    missing = sorted(v2 - covered)
    assert not missing, f"/v2 operations without a tenancy isolation case: {missing}"


def test_live_tickets_open_only_their_own_organizations_streams(client: TestClient, world: World) -> None:
    """B's ticket on A's issue or project closes exactly like a missing one; a ticket relabelled
    with another organization's id is no ticket at all."""
    from starlette.websockets import WebSocketDisconnect

    def close_of(url: str) -> tuple[int, str]:
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(url) as ws:
            ws.receive_json()
        return closed.value.code, closed.value.reason

    def ticket(org: OrgHandle) -> str:
        response = client.post("/v2/live/tickets", headers=org.headers)
        assert response.status_code == 201, response.text
        return response.json()["ticket"]

    ids = world.ids
    for foreign, missing in (("/v2/issues/{}/live".format(ids["story_id"]), f"/v2/issues/{MISSING_ID}/live"),
                             ("/v2/issues/{}/live".format(ids["story_key"]), "/v2/issues/NOPE-424242/live"),
                             ("/v2/projects/{}/live".format(ids["project_key"]), "/v2/projects/NOPEKEY/live")):
        foreign_close = close_of(f"{foreign}?ticket={ticket(world.b)}")
        missing_close = close_of(f"{missing}?ticket={ticket(world.b)}")
        assert foreign_close == missing_close and foreign_close[0] == 4404, (foreign, foreign_close)
        _assert_no_leak(world, foreign_close[1], foreign)
    secret = ticket(world.b).split(".", 1)[1]
    assert close_of(f"/v2/issues/{ids['story_id']}/live?ticket={world.a.organization_id}.{secret}")[0] == 4401
