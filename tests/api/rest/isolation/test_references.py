"""References to another organization's resources inside request bodies are rejected exactly
like references to missing ones, and leave organization A untouched."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi.testclient import TestClient

from tests.factories.isolation_world import MISSING_ID, World, assert_a_is_untouched, assert_no_leak, ok, send
from tests.support import unique_key


def _assert_rejected_like_missing(client: TestClient, world: World, method: str, url: str, body: dict,
                                  missing_body: dict, field_name: str, foreign_ref: object,
                                  missing_ref: object) -> None:
    foreign = send(client, world.b, method, url, body)
    missing = send(client, world.b, method, url, missing_body)
    where = f"{method} {url} {body}"
    assert foreign.status_code == 400, (where, foreign.text)
    assert missing.status_code == 400, (where, missing.text)
    error, missing_error = foreign.json()["error"], missing.json()["error"]
    assert error["field"] == field_name, (where, error)
    assert error["code"] == missing_error["code"], (where, error, missing_error)
    # The message may echo what the client sent, nothing more.
    normalized = error["message"].replace(f"'{foreign_ref}'", "'<ref>'")
    assert normalized == missing_error["message"].replace(f"'{missing_ref}'", "'<ref>'"), (where, error, missing_error)
    assert_no_leak(world, normalized, where)


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
    yield ("POST", "/v2/permission-schemes", "grants.0.holder.parameter", ids["member_id"], MISSING_ID,
           lambda r: {"name": f"S{unique_key()}", "grants": [
               {"permission": "EDIT_ISSUES", "holder": {"type": "user", "parameter": r}}]})
    yield ("POST", "/v2/permission-schemes", "grants.0.holder.parameter", ids["user_field_key"], "no_such_field",
           lambda r: {"name": f"S{unique_key()}", "grants": [
               {"permission": "EDIT_ISSUES", "holder": {"type": "user_field", "parameter": r}}]})
    yield ("PUT", f"{b_project}/permission-scheme", "scheme_id", ids["permission_scheme_id"], MISSING_ID,
           lambda r: {"scheme_id": r})
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
    # CI status naming A's issue: rejected exactly as a key that names nothing.
    for ref, missing in ((ids["story_key"], "NOPE-424242"), (ids["story_key"].lower(), "nope-424242")):
        yield "POST", "/v2/builds", "issue_keys", ref, missing, lambda r: {
            "pipeline": "b ci", "number": 1, "name": "B #1", "state": "failed", "url": "https://ci.b.test/1",
            "issue_keys": [r]}
        yield "POST", "/v2/deployments", "issue_keys", ref, missing, lambda r: {
            "pipeline": "b deploy", "environment": "prod", "number": 1, "name": "B 1.0", "state": "successful",
            "url": "https://ci.b.test/d/1", "issue_keys": [r]}


def test_references_to_another_organizations_resources_are_rejected_like_missing_ones(
        client: TestClient, world: World) -> None:
    for method, url, field_name, foreign_ref, missing_ref, body in _reference_cases(world.ids):
        _assert_rejected_like_missing(client, world, method, url, body(foreign_ref), body(missing_ref), field_name,
                                      foreign_ref, missing_ref)
    # A select option of A's field, given by id to B's user-type field: not a user of B.
    b_field = ok(client.post("/v2/fields", json={"name": "B reviewer", "field_type": "user"},
                              headers=world.b.headers), 201)
    response = client.post("/v2/issues", headers=world.b.headers, json={
        "project_id": world.ids["b_project_id"], "issue_type": "Story", "summary": "x",
        "custom_fields": {b_field["key"]: world.ids["member_id"]}})
    assert response.status_code == 400 and response.json()["error"]["field"] == f"custom_fields.{b_field['key']}"
    # Nothing was created in B by the refused requests.
    project = ok(client.get(f"/v2/projects/{world.ids['b_project_id']}", headers=world.b.headers))
    assert project["issue_count_estimate"] == 2
    b_filters = ok(client.get("/v2/filters", headers=world.b.headers))["filters"]
    assert [(f["id"], f["version"]) for f in b_filters] == [(world.ids["b_filter_id"], 1)]
    b_story = ok(client.get(f"/v2/issues/{world.ids['b_story_id']}", headers=world.b.headers))
    assert b_story["version"] == 1 and b_story["assignee"] is None and b_story["parent"] is None
    assert_a_is_untouched(client, world)
