"""A transition's validators, screen and post-functions run through /v2, on both backends: every
failure answered at once with 400 and nothing changed, post-functions' effects with their history
and events (parent updates too), custom fields on screens and in rules."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.workflows import (
    EFFECTS,
    create_issue,
    create_workflow,
    get,
    histories,
    offered,
    ok,
    outbox,
    run,
    set_role,
)
from tests.support import OrgHandle, UserHandle, fetch_rows

# -- validators, screens ------------------------------------------------------------------------------

STRICT: dict[str, Any] = {
    "name": "Strict", "key": "strict",
    "statuses": [{"name": "Open", "category": "todo"}, {"name": "Resolved", "category": "done"}],
    "initial_status": "Open",
    "transitions": [
        {"id": "resolve", "name": "Resolve", "from": ["Open"], "to": "Resolved",
         "screen": ["resolution", "due_date", "labels", "comment"],
         "validators": [
             {"type": "field_required", "params": {"fields": ["due_date", "labels"]}},
             {"type": "field_matches", "params": {"field": "summary", "pattern": "^[A-Z]+-[0-9]+ "}},
             {"type": "date_in_range", "params": {"field": "due_date", "min": "2020-01-01", "max": "2030-12-31",
                                                  "required": True}},
             {"type": "permission", "params": {"permission": "DELETE_ISSUES"}},
             {"type": "user_in_project_role", "params": {"role": "administrators"}},
             {"type": "resolution_required"},
         ]},
        {"id": "reopen", "name": "Reopen", "from": ["Resolved"], "to": "Open"},
    ],
}


def test_validators_answer_400_with_every_failure(client: TestClient, org: OrgHandle, project: dict,
                                                  member: UserHandle, database_url: str) -> None:
    create_workflow(client, org, STRICT)
    issue = create_issue(client, member.headers, project, workflow_id="strict", summary="lower case")
    events = len(outbox(database_url, org))
    failed = ok(run(client, member.headers, issue, "resolve"), 400)["error"]
    assert failed["code"] == "transition_invalid"
    assert [(f["rule"], f["field"]) for f in failed["failures"]] == [
        ("field_required", "due_date"), ("field_required", "labels"), ("field_matches", "summary"),
        ("date_in_range", "due_date"), ("permission", None), ("user_in_project_role", None),
        ("resolution_required", "resolution")]
    assert all(f["message"] for f in failed["failures"])
    assert {"due_date", "labels", "summary", "permission", "user_in_project_role", "resolution"} == set(
        failed["errors"])
    partly = ok(run(client, member.headers, issue, "resolve", fields={
        "due_date": "2040-01-01", "labels": ["x"], "resolution": "Fixed"}), 400)["error"]
    assert [(f["rule"], f["field"]) for f in partly["failures"]] == [
        ("field_matches", "summary"), ("date_in_range", "due_date"), ("permission", None),
        ("user_in_project_role", None)]
    assert get(client, org, issue)["version"] == 1 and histories(client, org, issue) == []
    assert len(outbox(database_url, org)) == events
    set_role(client, org, project, "administrators", member.user_id)
    ok(client.put(f"/v2/issues/{issue['id']}", json={"summary": "OPS-1 fix it"}, headers=org.headers))
    done = ok(run(client, member.headers, issue, "resolve", fields={
        "due_date": "2026-12-01", "labels": ["shipped"], "resolution": "Fixed"}, comment="Done and dusted"))
    assert done["status"]["name"] == "Resolved" and done["resolution"]["name"] == "Fixed"
    assert done["due_date"] == "2026-12-01" and done["labels"] == ["shipped"]


def test_screen_fields_outside_the_screen_answer_400(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create_issue(client, org.headers, project)
    refused = ok(run(client, org.headers, issue, "21", fields={"priority": "Low"}), 400)["error"]
    assert refused["field"] == "fields.priority"
    ok(run(client, org.headers, issue, "21"))
    refused = ok(run(client, org.headers, issue, "31", fields={"resolution": "Fixed", "assignee": None}), 400)
    assert refused["error"]["field"] == "fields.assignee" and "comment, resolution" in refused["error"]["message"]
    assert get(client, org, issue)["status"]["name"] == "In Progress"
    unknown = ok(run(client, org.headers, issue, "99"), 400)["error"]
    assert unknown["code"] == "unknown_transition"
    assert ok(run(client, org.headers, issue, "done", fields={"resolution": "Fixed"}))["status"]["name"] == "Done"


def test_post_functions_take_effect_with_history_and_events(client: TestClient, org: OrgHandle, project: dict,
                                                            member: UserHandle, database_url: str) -> None:
    create_workflow(client, org, EFFECTS)
    issue = create_issue(client, org.headers, project, workflow_id="effects", priority="High",
                         due_date="2026-09-01", labels=["new"])
    before = outbox(database_url, org)
    triaged = ok(run(client, member.headers, issue, "triage"))
    assert triaged["status"]["name"] == "Triaged" and triaged["version"] == 2
    assert triaged["assignee"]["id"] == member.user_id
    assert triaged["priority"]["name"] == "Low" and triaged["labels"] == ["triaged"] and triaged["due_date"] is None
    [group] = histories(client, org, issue)
    items = {item["field"]: item for item in group["items"]}
    assert set(items) == {"status", "assignee", "priority", "labels", "duedate"}
    assert (items["status"]["from_string"], items["status"]["to_string"]) == ("Open", "Triaged")
    assert (items["priority"]["from_string"], items["priority"]["to_string"]) == ("High", "Low")
    assert group["author"]["id"] == member.user_id
    comments = ok(client.get(f"/v2/issues/{issue['id']}/comments", headers=org.headers))["comments"]
    assert [c["body"] for c in comments] == ["Triaged by the workflow."]
    assert outbox(database_url, org)[len(before):] == ["status_changed", "issue_triaged", "comment_added"]
    event = fetch_rows(database_url, "SELECT payload FROM outbox_events WHERE organization_id = :org AND "
                                     "event_type = 'issue_triaged'", {"org": org.organization_id})[0]["payload"]
    payload = event if isinstance(event, dict) else __import__("json").loads(event)
    assert payload["issue_key"] == issue["key"] and payload["transition"] == {"id": "triage", "name": "Triage"}
    closed = ok(run(client, member.headers, issue, "close"))
    assert closed["resolution"]["name"] == "Won't Do" and closed["assignee"]["id"] == org.admin_user_id
    items = {i["field"]: i for i in histories(client, org, issue)[-1]["items"]}
    assert items["resolution"]["to_string"] == "Won't Do" and items["assignee"]["to"] == str(org.admin_user_id)
    reopened = ok(run(client, member.headers, issue, "reopen"))
    assert reopened["resolution"] is None and reopened["assignee"] is None and reopened["version"] == 4
    items = {i["field"]: i for i in histories(client, org, issue)[-1]["items"]}
    assert items["resolution"]["from_string"] == "Won't Do" and items["resolution"]["to_string"] is None


def test_update_parent_moves_the_parent_when_a_subtask_starts(client: TestClient, org: OrgHandle,
                                                              project: dict) -> None:
    parent = create_issue(client, org.headers, project)
    first = create_issue(client, org.headers, project, issue_type="Sub-task", parent_id=parent["id"])
    second = create_issue(client, org.headers, project, issue_type="Sub-task", parent_id=parent["id"])
    ok(run(client, org.headers, first, "In Progress"))
    moved = get(client, org, parent)
    assert moved["status"]["name"] == "In Progress" and moved["version"] == 2
    [group] = histories(client, org, parent)
    assert [(i["field"], i["from_string"], i["to_string"]) for i in group["items"]] == [
        ("status", "To Do", "In Progress")]
    # The parent is no longer in To Do: the second sub-task leaves it alone.
    ok(run(client, org.headers, second, "21"))
    assert get(client, org, parent)["version"] == 2 and len(histories(client, org, parent)) == 1


def test_update_parent_reopens_a_resolved_parent_with_its_resolution_in_the_history(
        client: TestClient, org: OrgHandle, project: dict) -> None:
    """Moved out of Done by a sub-task, the parent loses its resolution and the history says so
    (JQL's `resolution WAS` reads the history)."""
    create_workflow(client, org, {
        "name": "Kick-off", "key": "kickoff",
        "statuses": [{"name": "Waiting", "category": "todo"}, {"name": "Going", "category": "in_progress"}],
        "initial_status": "Waiting",
        "transitions": [{"id": "restart", "name": "Restart", "from": ["Waiting"], "to": "Going",
                         "post_functions": [{"type": "update_parent", "params": {
                             "to_status": "In Progress", "when_parent_in": ["done"]}}]}]})
    parent = create_issue(client, org.headers, project)
    ok(run(client, org.headers, parent, "In Progress"))
    assert ok(run(client, org.headers, parent, "Done"))["resolution"]["name"] == "Done"
    child = create_issue(client, org.headers, project, issue_type="Sub-task", parent_id=parent["id"],
                         workflow_id="kickoff")
    ok(run(client, org.headers, child, "restart"))
    moved = get(client, org, parent)
    assert (moved["status"]["name"], moved["resolution"], moved["resolved"]) == ("In Progress", None, None)
    assert [(i["field"], i["from_string"], i["to_string"]) for i in histories(client, org, parent)[-1]["items"]] == [
        ("status", "Done", "In Progress"), ("resolution", "Done", None)]
    for jql in (f'key = {parent["key"]} AND resolution WAS Done', f'key = {parent["key"]} AND resolution IS EMPTY',
                f'key = {parent["key"]} AND resolution CHANGED FROM Done'):
        assert ok(client.post("/v2/search", json={"jql": jql}, headers=org.headers))["total"] == 1, jql


# -- custom fields, sub-task rules, hidden transitions ------------------------------------------------

def test_custom_fields_on_screens_in_rules_and_post_functions(client: TestClient, org: OrgHandle,
                                                             project: dict) -> None:
    ok(client.post("/v2/fields", json={"name": "Severity", "field_type": "select", "options": ["S1", "S2"]},
                   headers=org.headers), 201)
    ok(client.post("/v2/fields", json={"name": "Root cause", "field_type": "text"}, headers=org.headers), 201)
    create_workflow(client, org, {
        "name": "Incidents", "key": "incidents",
        "statuses": [{"name": "Reported", "category": "todo"}, {"name": "Mitigated", "category": "in_progress"},
                     {"name": "Resolved", "category": "done"}],
        "initial_status": "Reported",
        "transitions": [
            {"id": "page", "name": "Page", "from": ["Reported"], "to": "Mitigated",
             "conditions": [{"type": "field_value", "params": {"field": "severity", "value": "s1"}}]},
            {"id": "mitigate", "name": "Mitigate", "from": ["Reported"], "to": "Mitigated"},
            {"id": "resolve", "name": "Resolve", "from": ["Mitigated"], "to": "Resolved",
             "screen": ["root_cause", "resolution"],
             "validators": [{"type": "field_required", "params": {"fields": ["root_cause"]}},
                            {"type": "field_matches", "params": {"field": "root_cause", "pattern": "^[A-Z]"}}],
             "post_functions": [{"type": "set_field", "params": {"field": "severity", "value": "S2"}}]},
        ]})
    minor = create_issue(client, org.headers, project, workflow_id="incidents", custom_fields={"severity": "S2"})
    major = create_issue(client, org.headers, project, workflow_id="incidents", custom_fields={"severity": "S1"})
    assert offered(client, org.headers, minor) == {"mitigate"}
    assert offered(client, org.headers, major) == {"page", "mitigate"}
    ok(run(client, org.headers, major, "page"))
    failed = ok(run(client, org.headers, major, "resolve"), 400)["error"]
    assert [(f["rule"], f["field"]) for f in failed["failures"]] == [("field_required", "root_cause")]
    failed = ok(run(client, org.headers, major, "resolve", fields={"root_cause": "disk full"}), 400)["error"]
    assert [(f["rule"], f["field"]) for f in failed["failures"]] == [("field_matches", "root_cause")]
    done = ok(run(client, org.headers, major, "resolve", fields={"root_cause": "Disk full", "resolution": "Fixed"}))
    assert done["custom_fields"]["root_cause"] == "Disk full"
    assert done["custom_fields"]["severity"]["value"] == "S2"
    items = {i["field"]: i for i in histories(client, org, major)[-1]["items"]}
    assert (items["Severity"]["from_string"], items["Severity"]["to_string"]) == ("S1", "S2")
    assert items["Root cause"]["to_string"] == "Disk full"


def test_parent_status_validator_and_hidden_transitions(client: TestClient, org: OrgHandle, project: dict) -> None:
    create_workflow(client, org, {
        "name": "Child steps", "key": "child_steps",
        "statuses": [{"name": "Queued", "category": "todo"}, {"name": "Running", "category": "in_progress"}],
        "initial_status": "Queued",
        "transitions": [
            {"id": "run", "name": "Run", "from": ["Queued"], "to": "Running",
             "validators": [{"type": "parent_status", "params": {"categories": ["in_progress"]}}]},
            {"id": "auto", "name": "Automation only", "from": ["Running"], "to": "Queued", "hidden": True},
        ]})
    parent = create_issue(client, org.headers, project)
    child = create_issue(client, org.headers, project, issue_type="Sub-task", parent_id=parent["id"],
                         workflow_id="child_steps")
    failed = ok(run(client, org.headers, child, "run"), 400)["error"]
    assert failed["failures"] == [{"rule": "parent_status", "field": "parent",
                                   "message": "The parent issue is To Do; it must be in in_progress."}]
    ok(run(client, org.headers, parent, "21"))
    ok(run(client, org.headers, child, "run"))
    # Hidden: never offered, still runnable through the API (for automation).
    assert offered(client, org.headers, child) == set()
    assert ok(run(client, org.headers, child, "auto"))["status"]["name"] == "Queued"


def test_bad_screen_values_answer_400_and_change_nothing(client: TestClient, org: OrgHandle, project: dict,
                                                         viewer: UserHandle, database_url: str) -> None:
    create_workflow(client, org, {
        "name": "Everything on screen", "key": "full_screen",
        "statuses": [{"name": "Intake", "category": "todo"}, {"name": "Closed out", "category": "done"}],
        "initial_status": "Intake",
        "transitions": [{"id": "close", "name": "Close", "from": ["Intake"], "to": "Closed out",
                         "screen": ["resolution", "assignee", "comment", "priority", "fix_versions", "labels",
                                    "due_date"]}]})
    issue = create_issue(client, org.headers, project, workflow_id="full_screen")
    events = len(outbox(database_url, org))
    cases = [
        {"resolution": "Nope"}, {"resolution": 987654321}, {"resolution": ["Fixed"]},
        {"assignee": 987654321}, {"assignee": "nobody"}, {"assignee": [viewer.user_id]},
        {"priority": "urgent"}, {"priority": ["High"]},
        {"fix_versions": ["9.9"]}, {"fix_versions": "1.0"},
        {"labels": "one two"}, {"labels": ["has space"]}, {"labels": [1, 2]},
        {"due_date": "soon"}, {"due_date": 20260101},
        {"comment": ["a"]},
    ]
    for fields in cases:
        response = run(client, org.headers, issue, "close", fields=fields)
        assert response.status_code == 400, (fields, response.status_code, response.text)
        [name] = fields
        assert name in response.json()["error"]["field"], (fields, response.text)
    after = get(client, org, issue)
    assert (after["status"]["name"], after["version"]) == ("Intake", 1)
    assert histories(client, org, issue) == [] and len(outbox(database_url, org)) == events
