"""Another organization's resources named in a /v2 path, or in a live stream's path, answer
exactly as missing ones do, and the answer names nothing of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.factories.isolation_world import MISSING_ID, World, assert_a_is_untouched, assert_no_leak, send
from tests.support import OrgHandle


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
        ("PUT", "/v2/issues/{issue_id}/mute", None),
        ("DELETE", "/v2/issues/{issue_id}/mute", None),
        ("GET", "/v2/issues/{issue_id}/development", None),
    ]
]


def _path_probes() -> list[PathProbe]:
    probes: list[PathProbe] = []
    for method, template, body in ISSUE_PROBES:
        for ref, missing in (("story_id", MISSING_ID), ("story_key", "NOPE-424242")):
            params = (lambda r: lambda ids: {"issue_id": ids[r], "transition_id": "21"})(ref)
            probes.append(PathProbe(method, template, params, {"issue_id": missing, "transition_id": "21"}, body))
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
        ("GET", "/v2/projects/{project_id}/permission-scheme", None, {}),
        ("PUT", "/v2/projects/{project_id}/permission-scheme", {"scheme_id": MISSING_ID}, {}),
        ("GET", "/v2/projects/{project_id}/issue-security-scheme", None, {}),
        ("PUT", "/v2/projects/{project_id}/issue-security-scheme", {"scheme_id": None}, {}),
        ("GET", "/v2/projects/{project_id}/security-levels", None, {}),
        ("GET", "/v2/projects/{project_id}/notification-scheme", None, {}),
        ("PUT", "/v2/projects/{project_id}/notification-scheme", {"events": None}, {}),
        ("GET", "/v2/projects/{project_id}/slack", None, {}),
        ("PUT", "/v2/projects/{project_id}/slack", {"url": "https://hooks.slack.com/services/T0/B0/hijacked"}, {}),
        ("DELETE", "/v2/projects/{project_id}/slack", None, {}),
        ("GET", "/v2/projects/{project_id}/mail-in", None, {}),
        ("PUT", "/v2/projects/{project_id}/mail-in", {"enabled": False}, {}),
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
        # A user's data rights: B's administrator can neither export nor erase A's users.
        probes.append(PathProbe("GET", "/v2/users/{user_id}/export", (lambda r: lambda ids: {"user_id": ids[r]})(ref),
                                {"user_id": MISSING_ID}))
        probes.append(PathProbe("POST", "/v2/users/{user_id}/erase", (lambda r: lambda ids: {"user_id": ids[r]})(ref),
                                {"user_id": MISSING_ID}, {"confirm": "hijacked@example.test"}))
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
    delivery = lambda ids: {"delivery_id": ids["delivery_id"]}  # noqa: E731
    probes += [PathProbe("GET", "/v2/deliveries/{delivery_id}", delivery, {"delivery_id": MISSING_ID}),
               PathProbe("POST", "/v2/deliveries/{delivery_id}/retry", delivery, {"delivery_id": MISSING_ID})]
    webhook = lambda ids: {"webhook_id": ids["webhook_id"]}  # noqa: E731
    probes += [PathProbe(method, template, webhook, {"webhook_id": MISSING_ID}, body) for method, template, body in (
        ("GET", "/v2/webhooks/{webhook_id}", None), ("PATCH", "/v2/webhooks/{webhook_id}", {"name": "hijacked"}),
        ("PUT", "/v2/webhooks/{webhook_id}", {"name": "hijacked", "url": "https://evil.example.test", "events": []}),
        ("DELETE", "/v2/webhooks/{webhook_id}", None), ("POST", "/v2/webhooks/{webhook_id}/test", None),
        ("GET", "/v2/webhooks/{webhook_id}/deliveries", None))]
    git = lambda ids: {"connection_id": ids["git_connection_id"]}  # noqa: E731
    probes += [PathProbe(method, "/v2/integrations/git/{connection_id}", git, {"connection_id": MISSING_ID}, body)
               for method, body in (("GET", None), ("DELETE", None),
                                    ("PATCH", {"name": "hijacked", "rotate_secret": True}))]
    probes.append(PathProbe("PUT", "/v2/workflow-schemes/{scheme_id}", lambda ids: {"scheme_id": ids["scheme_id"]},
                            {"scheme_id": MISSING_ID}, {"name": "Hijacked", "default_workflow": "default"}))
    scheme = lambda ids: {"scheme_id": ids["permission_scheme_id"], "grant_id": ids["permission_grant_id"]}  # noqa: E731
    probes += [PathProbe(method, template, scheme, {"scheme_id": MISSING_ID, "grant_id": MISSING_ID}, body)
               for method, template, body in (
                   ("GET", "/v2/permission-schemes/{scheme_id}", None),
                   ("PUT", "/v2/permission-schemes/{scheme_id}", {"name": "Hijacked"}),
                   ("DELETE", "/v2/permission-schemes/{scheme_id}", None),
                   ("POST", "/v2/permission-schemes/{scheme_id}/grants",
                    {"permission": "EDIT_ISSUES", "holder": {"type": "anyone"}}),
                   ("DELETE", "/v2/permission-schemes/{scheme_id}/grants/{grant_id}", None))]
    security = lambda ids: {"scheme_id": ids["security_scheme_id"], "level_id": ids["security_level_id"],  # noqa: E731
                            "member_id": ids["security_member_id"]}
    missing_security = {"scheme_id": MISSING_ID, "level_id": MISSING_ID, "member_id": MISSING_ID}
    probes += [PathProbe(method, template, security, missing_security, body)
               for method, template, body in (
                   ("GET", "/v2/issue-security-schemes/{scheme_id}", None),
                   ("PUT", "/v2/issue-security-schemes/{scheme_id}", {"name": "Hijacked"}),
                   ("DELETE", "/v2/issue-security-schemes/{scheme_id}", None),
                   ("POST", "/v2/issue-security-schemes/{scheme_id}/levels", {"name": "Hijacked"}),
                   ("PUT", "/v2/issue-security-schemes/{scheme_id}/levels/{level_id}", {"name": "Hijacked"}),
                   ("DELETE", "/v2/issue-security-schemes/{scheme_id}/levels/{level_id}", None),
                   ("POST", "/v2/issue-security-schemes/{scheme_id}/levels/{level_id}/members", {"type": "anyone"}),
                   ("DELETE", "/v2/issue-security-schemes/{scheme_id}/levels/{level_id}/members/{member_id}",
                    None))]
    probes.append(PathProbe("DELETE", "/v2/global-permissions/{grant_id}",
                            lambda ids: {"grant_id": ids["global_grant_id"]}, {"grant_id": MISSING_ID}))
    return probes


PATH_PROBES = _path_probes()


def _url(probe: PathProbe, values: dict, ids: dict) -> str:
    values = {k: (str(v).format(**ids) if isinstance(v, str) else v) for k, v in values.items()}
    path_values = {k: v for k, v in values.items() if "{" + k + "}" in probe.template}
    return probe.template.format(**path_values) + probe.query.format(**values)


def test_paths_naming_another_organizations_resources_answer_as_missing(client: TestClient, world: World) -> None:
    for probe in PATH_PROBES:
        foreign_url = _url(probe, probe.params(world.ids), world.ids)
        missing_url = _url(probe, probe.missing, world.ids)
        foreign = send(client, world.b, probe.method, foreign_url, probe.body)
        missing = send(client, world.b, probe.method, missing_url, probe.body)
        where = f"{probe.method} {foreign_url}"
        assert foreign.status_code not in (200, 201, 204, 403), f"{where}: {foreign.status_code} {foreign.text}"
        assert foreign.status_code == missing.status_code, (where, foreign.text, missing.text)
        assert foreign.status_code in (400, 404), (where, foreign.text)
        assert foreign.json() == missing.json(), (where, foreign.text, missing.text)
        assert_no_leak(world, foreign.text, where)
    assert_a_is_untouched(client, world)


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
        assert_no_leak(world, foreign_close[1], foreign)
    secret = ticket(world.b).split(".", 1)[1]
    assert close_of(f"/v2/issues/{ids['story_id']}/live?ticket={world.a.organization_id}.{secret}")[0] == 4401
