"""/v2/workflows, workflow schemes and running transitions end to end, on both backends:
definitions in and out (JSON, YAML), conditions, validators, post-functions, atomicity, drafts,
publishing with status mappings, and schemes."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.support import OrgHandle, UserHandle, fetch_rows, make_user, unique_key

Headers = dict[str, str]

GATED: dict[str, Any] = {
    "name": "Gated",
    "statuses": [{"name": "Open", "category": "todo"}, {"name": "Active", "category": "in_progress"},
                 {"name": "Finished", "category": "done"}],
    "initial_status": "Open",
    "transitions": [
        {"id": "mine", "name": "Take it", "from": ["Open"], "to": "Active",
         "conditions": [{"type": "only_assignee"}]},
        {"id": "devs", "name": "Develop", "from": ["Open"], "to": "Active",
         "conditions": [{"type": "user_in_project_role", "params": {"role": "developers"}}]},
        {"id": "deleters", "name": "Purge", "from": ["Open"], "to": "Finished",
         "conditions": [{"type": "permission", "params": {"permission": "DELETE_ISSUES"}}]},
        {"id": "subtasks", "name": "Wrap up", "from": ["Open"], "to": "Finished",
         "conditions": [{"type": "subtasks_in_category", "params": {"category": "done"}}]},
        {"id": "free", "name": "Ship", "from": ["Open"], "to": "Finished", "conditions": [{"type": "not_blocked"}]},
        {"id": "either", "name": "Either", "from": ["Open"], "to": "Active", "condition_mode": "any",
         "conditions": [{"type": "only_assignee"}, {"type": "only_reporter"}]},
        {"id": "back", "name": "Back", "from": ["Active", "Finished"], "to": "Open"},
    ],
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create_workflow(client: TestClient, org: OrgHandle, document: dict[str, Any]) -> dict:
    return ok(client.post("/v2/workflows", json=document, headers=org.headers), 201)


def create_issue(client: TestClient, headers: Headers, project: dict, **fields: Any) -> dict:
    body = {"project_id": project["id"], "issue_type": "Task", "summary": "Something to do", **fields}
    return ok(client.post("/v2/issues", json=body, headers=headers), 201)


def run(client: TestClient, headers: Headers, issue: dict, transition: str, **body: Any) -> Any:
    return client.post(f"/v2/issues/{issue['id']}/transitions/{transition}", json=body, headers=headers)


def offered(client: TestClient, headers: Headers, issue: dict) -> set[str]:
    listed = client.get(f"/v2/issues/{issue['id']}/transitions", headers=headers)
    by_workflow = client.get(f"/v2/workflows/{issue['workflow_id']}/transitions?issue_id={issue['id']}",
                             headers=headers)
    assert listed.status_code == by_workflow.status_code, (listed.text, by_workflow.text)
    if listed.status_code != 200:
        return {f"HTTP {listed.status_code}"}
    assert listed.json()["transitions"] == by_workflow.json()["transitions"]
    return {t["id"] for t in listed.json()["transitions"]}


def histories(client: TestClient, org: OrgHandle, issue: dict) -> list[dict]:
    return ok(client.get(f"/v2/issues/{issue['id']}/changelog", headers=org.headers))["histories"]


def outbox(database_url: str, org: OrgHandle) -> list[str]:
    return [row["event_type"] for row in fetch_rows(
        database_url, "SELECT event_type FROM outbox_events WHERE organization_id = :org ORDER BY id",
        {"org": org.organization_id})]


def get(client: TestClient, org: OrgHandle, issue: dict) -> dict:
    return ok(client.get(f"/v2/issues/{issue['id']}", headers=org.headers))


def set_role(client: TestClient, org: OrgHandle, project: dict, role: str, *users: int) -> None:
    ok(client.put(f"/v2/projects/{project['id']}/roles/{role}", json={"user_ids": list(users)}, headers=org.headers))


# -- definitions in and out ---------------------------------------------------------------------------

def test_create_from_json_and_yaml_then_read(client: TestClient, org: OrgHandle) -> None:
    from_json = create_workflow(client, org, GATED)
    assert from_json["key"] == "gated" and from_json["version"] == 1 and not from_json["has_draft"]
    assert [t["id"] for t in from_json["definition"]["transitions"]] == [t["id"] for t in GATED["transitions"]]
    text = yaml.safe_dump({**GATED, "name": "Gated from YAML", "key": "gated_yaml"})
    from_yaml = ok(client.post("/v2/workflows", content=text.encode(),
                               headers={**org.headers, "content-type": "application/yaml"}), 201)
    assert from_yaml["key"] == "gated_yaml"
    assert from_yaml["definition"]["transitions"] == from_json["definition"]["transitions"]
    listed = ok(client.get("/v2/workflows", headers=org.headers))["workflows"]
    assert {"gated", "gated_yaml", "default", "business"} <= {w["key"] for w in listed}
    for ref in (from_json["id"], "gated", "workflow_gated"):
        assert ok(client.get(f"/v2/workflows/{ref}", headers=org.headers))["id"] == from_json["id"]
    assert client.get("/v2/workflows/nope", headers=org.headers).status_code == 404
    same_key = client.post("/v2/workflows", json={**GATED, "key": "gated"}, headers=org.headers)
    assert same_key.status_code == 409
    schema = ok(client.get("/v2/workflows/schema", headers=org.headers))
    assert "TransitionSpec" in schema["$defs"]


def test_invalid_definitions_answer_400_with_every_path(client: TestClient, org: OrgHandle) -> None:
    document = {**GATED, "statuses": [*GATED["statuses"], {"name": "Limbo", "category": "todo"}],
                "transitions": [*GATED["transitions"],
                                {"id": "back", "name": "Dup", "from": ["Open"], "to": "Nowhere",
                                 "conditions": [{"type": "is_friday"}],
                                 "validators": [{"type": "field_required", "params": {"fields": []}}],
                                 "screen": ["mood"]}]}
    error = ok(client.post("/v2/workflows", json=document, headers=org.headers), 400)["error"]
    assert error["code"] == "invalid_workflow"
    assert set(error["errors"]) == {"statuses[3]", "transitions[7].id", "transitions[7].to",
                                    "transitions[7].conditions[0].type", "transitions[7].validators[0].params",
                                    "transitions[7].screen[0]"}
    assert "Limbo" in error["errors"]["statuses[3]"] and "Nowhere" in error["errors"]["transitions[7].to"]
    structure = ok(client.post("/v2/workflows", json={**GATED, "transitions": [{"id": "x", "name": "X"}]},
                               headers=org.headers), 400)["error"]
    assert set(structure["errors"]) == {"transitions.0.to"}
    broken_yaml = ok(client.post("/v2/workflows", content=b"name: [unclosed\nstatuses: {",
                                 headers={**org.headers, "content-type": "application/yaml"}), 400)["error"]
    assert broken_yaml["code"] == "malformed_yaml" and "line" in broken_yaml["message"]
    # Statuses are the organization's: an existing one keeps its category.
    clash = ok(client.post("/v2/workflows", json={"name": "Clash", "key": "clash", "initial_status": "To Do",
                                                  "statuses": [{"name": "to do", "category": "done"}]},
                           headers=org.headers), 400)["error"]
    assert set(clash["errors"]) == {"statuses[0].category"}
    names = {w["key"] for w in ok(client.get("/v2/workflows", headers=org.headers))["workflows"]}
    assert "gated" not in names and "clash" not in names


def test_only_admins_create_workflows(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    assert client.post("/v2/workflows", json=GATED, headers=member.headers).status_code == 403
    assert client.put("/v2/workflows/default", json=GATED, headers=member.headers).status_code == 403


def test_export_round_trips_through_import(client: TestClient, org: OrgHandle) -> None:
    rich = {**GATED, "key": "rich", "transitions": [*GATED["transitions"], {
        "id": "close", "name": "Close", "from": ["Active"], "to": "Finished", "screen": ["resolution", "comment"],
        "validators": [{"type": "field_matches", "params": {"field": "summary", "pattern": "^[A-Z]"}}],
        "post_functions": [{"type": "assign", "params": {"to": "reporter"}},
                           {"type": "fire_event", "params": {"event": "closed"}}], "hidden": True}]}
    created = create_workflow(client, org, rich)
    as_json = ok(client.get(f"/v2/workflows/{created['id']}/export", headers=org.headers))
    as_yaml = client.get(f"/v2/workflows/{created['id']}/export?format=yaml", headers=org.headers)
    assert as_yaml.status_code == 200 and as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == as_json
    again = create_workflow(client, org, {**as_json, "key": "rich_copy", "name": "Rich copy"})
    from_yaml = ok(client.post("/v2/workflows", content=as_yaml.text.replace("key: rich", "key: rich_yaml").encode(),
                               headers={**org.headers, "content-type": "text/yaml"}), 201)
    for copy in (again, from_yaml):
        exported = ok(client.get(f"/v2/workflows/{copy['id']}/export", headers=org.headers))
        assert {**exported, "key": None, "name": None} == {**as_json, "key": None, "name": None}
    assert as_json["transitions"][-1]["hidden"] is True
    assert client.get(f"/v2/workflows/{created['id']}/export?format=xml", headers=org.headers).status_code == 422


def test_default_workflows_and_business_projects(client: TestClient, org: OrgHandle, project: dict) -> None:
    workflows = {w["key"]: w for w in ok(client.get("/v2/workflows", headers=org.headers))["workflows"]}
    software, business = workflows["default"], workflows["business"]
    assert software["is_default"] and not business["is_default"]
    assert [t["id"] for t in software["definition"]["transitions"]] == ["11", "21", "31", "41", "51", "61", "71"]
    assert [s["name"] for s in software["definition"]["statuses"]] == [
        "To Do", "In Progress", "In Review", "Done", "Won't Do"]
    assert [s["name"] for s in business["definition"]["statuses"]] == ["To Do", "In Progress", "Done"]
    schemes = {s["default_workflow_id"] for s in ok(client.get("/v2/workflow-schemes",
                                                              headers=org.headers))["workflow_schemes"]}
    assert {software["id"], business["id"]} <= schemes
    task = create_issue(client, org.headers, project)
    assert task["workflow_id"] == software["id"]
    assert offered(client, org.headers, task) == {"11", "61"}
    ops = ok(client.post("/v2/projects", json={"key": "OPS", "name": "Operations", "project_type": "business"},
                         headers=org.headers), 201)
    errand = create_issue(client, org.headers, ops)
    assert errand["workflow_id"] == business["id"] and errand["status"]["name"] == "To Do"
    assert offered(client, org.headers, errand) == {"11", "31"}
    assert ok(run(client, org.headers, errand, "31"))["status"]["name"] == "Done"
    mismatch = client.get(f"/v2/workflows/{software['id']}/transitions?issue_id={errand['id']}", headers=org.headers)
    assert mismatch.status_code == 400


# -- conditions ---------------------------------------------------------------------------------------

def test_conditions_hide_transitions_and_forbid_running_them(client: TestClient, org: OrgHandle, project: dict,
                                                            member: UserHandle, viewer: UserHandle) -> None:
    create_workflow(client, org, GATED)
    theirs = create_issue(client, org.headers, project, workflow_id="gated", assignee_id=org.admin_user_id)
    # The member neither is the assignee nor reporter, nor a developer, nor may delete issues;
    # nothing blocks the issue and it has no sub-tasks.
    assert offered(client, member.headers, theirs) == {"subtasks", "free"}
    for hidden in ("mine", "devs", "deleters", "either"):
        denied = run(client, member.headers, theirs, hidden)
        assert denied.status_code == 403, (hidden, denied.text)
        assert denied.json()["error"]["code"] == "transition_forbidden"
    assert offered(client, org.headers, theirs) == {"mine", "deleters", "subtasks", "free", "either"}
    set_role(client, org, project, "developers", member.user_id)
    assert offered(client, member.headers, theirs) == {"devs", "subtasks", "free"}
    mine = create_issue(client, member.headers, project, workflow_id="gated", assignee_id=member.user_id)
    assert offered(client, member.headers, mine) == {"mine", "devs", "subtasks", "free", "either"}
    assert ok(run(client, member.headers, mine, "mine"))["status"]["name"] == "Active"
    # Viewers may browse but not transition: nothing offered, running answers 403.
    assert offered(client, viewer.headers, theirs) == set()
    assert run(client, viewer.headers, theirs, "free").status_code == 403
    assert get(client, org, theirs)["version"] == 1


def test_subtask_and_blocker_conditions(client: TestClient, org: OrgHandle, project: dict) -> None:
    create_workflow(client, org, GATED)
    parent = create_issue(client, org.headers, project, workflow_id="gated")
    sub = create_issue(client, org.headers, project, issue_type="Sub-task", parent_id=parent["id"])
    blocker = create_issue(client, org.headers, project, summary="Blocker")
    ok(client.post("/v2/issue-links", json={"type": "blocks", "outward_issue": blocker["key"],
                                            "inward_issue": parent["key"]}, headers=org.headers), 201)
    # Unassigned, so only_assignee hides "mine"; the reporter passes "either".
    assert offered(client, org.headers, parent) == {"deleters", "either"}
    assert run(client, org.headers, parent, "subtasks").status_code == 403
    assert run(client, org.headers, parent, "free").status_code == 403
    ok(run(client, org.headers, sub, "61"))  # Won't Do: a Done-category status
    ok(run(client, org.headers, blocker, "61"))
    assert offered(client, org.headers, parent) == {"deleters", "either", "subtasks", "free"}
    assert ok(run(client, org.headers, parent, "subtasks"))["status"]["category"] == "done"


def test_a_private_project_answers_404_to_outsiders(client: TestClient, org: OrgHandle, member: UserHandle,
                                                     database_url: str) -> None:
    private = ok(client.post("/v2/projects", json={"key": "SEC", "name": "Secret", "access": "private"},
                             headers=org.headers), 201)
    issue = create_issue(client, org.headers, private)
    assert client.get(f"/v2/issues/{issue['id']}/transitions", headers=member.headers).status_code == 404
    assert client.get(f"/v2/workflows/{issue['workflow_id']}/transitions?issue_id={issue['id']}",
                      headers=member.headers).status_code == 404
    refused = run(client, member.headers, issue, "11")
    assert refused.status_code == 404, refused.text
    # A project member of the private project sees and runs it.
    set_role(client, org, private, "developers", member.user_id)
    assert offered(client, member.headers, issue) == {"11", "61"}
    assert ok(run(client, member.headers, issue, "11"))["status"]["name"] == "In Progress"


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
    refused = ok(run(client, org.headers, issue, "11", fields={"priority": "Low"}), 400)["error"]
    assert refused["field"] == "fields.priority"
    ok(run(client, org.headers, issue, "11"))
    refused = ok(run(client, org.headers, issue, "51", fields={"resolution": "Fixed", "assignee": None}), 400)
    assert refused["error"]["field"] == "fields.assignee" and "comment, resolution" in refused["error"]["message"]
    assert get(client, org, issue)["status"]["name"] == "In Progress"
    unknown = ok(run(client, org.headers, issue, "99"), 400)["error"]
    assert unknown["code"] == "unknown_transition"
    assert ok(run(client, org.headers, issue, "done", fields={"resolution": "Fixed"}))["status"]["name"] == "Done"


# -- post-functions -----------------------------------------------------------------------------------

EFFECTS: dict[str, Any] = {
    "name": "Effects", "key": "effects",
    "statuses": [{"name": "Open", "category": "todo"}, {"name": "Triaged", "category": "in_progress"},
                 {"name": "Closed", "category": "done"}],
    "initial_status": "Open",
    "transitions": [
        {"id": "triage", "name": "Triage", "from": ["Open"], "to": "Triaged", "post_functions": [
            {"type": "assign", "params": {"to": "current_user"}},
            {"type": "set_field", "params": {"field": "priority", "value": "Low"}},
            {"type": "set_field", "params": {"field": "labels", "value": ["triaged"]}},
            {"type": "clear_field", "params": {"field": "due_date"}},
            {"type": "add_comment", "params": {"body": "Triaged by the workflow."}},
            {"type": "fire_event", "params": {"event": "issue_triaged"}}]},
        {"id": "close", "name": "Close", "from": ["Triaged"], "to": "Closed", "post_functions": [
            {"type": "set_resolution", "params": {"resolution": "Won't Do"}},
            {"type": "assign", "params": {"to": "reporter"}}]},
        {"id": "reopen", "name": "Reopen", "from": ["Closed"], "to": "Open",
         "post_functions": [{"type": "assign", "params": {"to": "unassigned"}}]},
        {"id": "bad", "name": "Bad", "from": ["Open"], "to": "Closed",
         "post_functions": [{"type": "set_field", "params": {"field": "priority", "value": "nope"}}]},
        {"id": "talk", "name": "Talk", "from": ["Open"], "to": "Triaged", "screen": ["comment"],
         "post_functions": [{"type": "fire_event", "params": {"event": "issue_triaged"}}]},
    ],
}


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
    ok(run(client, org.headers, first, "Start Progress"))
    moved = get(client, org, parent)
    assert moved["status"]["name"] == "In Progress" and moved["version"] == 2
    [group] = histories(client, org, parent)
    assert [(i["field"], i["from_string"], i["to_string"]) for i in group["items"]] == [
        ("status", "To Do", "In Progress")]
    # The parent is no longer in To Do: the second sub-task leaves it alone.
    ok(run(client, org.headers, second, "11"))
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
    ok(run(client, org.headers, parent, "Start Progress"))
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


# -- atomicity ----------------------------------------------------------------------------------------

def test_a_failing_transition_changes_nothing(client: TestClient, org: OrgHandle, project: dict,
                                              database_url: str) -> None:
    create_workflow(client, org, EFFECTS)
    issue = create_issue(client, org.headers, project, workflow_id="effects")
    events = len(outbox(database_url, org))
    bad = ok(run(client, org.headers, issue, "bad"), 400)["error"]
    assert "nope" in bad["message"]
    # The comment is refused only after the status UPDATE, history and the status_changed event:
    # the whole transaction rolls back.
    blank = ok(run(client, org.headers, issue, "talk", comment="   "), 400)["error"]
    assert blank["field"] == "body"
    after = get(client, org, issue)
    assert (after["status"]["name"], after["version"], after["resolution"]) == ("Open", 1, None)
    assert histories(client, org, issue) == []
    assert len(outbox(database_url, org)) == events
    assert ok(client.get(f"/v2/issues/{issue['id']}/comments", headers=org.headers))["total"] == 0
    assert ok(run(client, org.headers, issue, "talk", comment="Fine now"))["version"] == 2
    assert outbox(database_url, org)[events:] == ["status_changed", "issue_triaged", "comment_added"]


def test_a_stale_version_conflicts(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create_issue(client, org.headers, project)
    ok(client.put(f"/v2/issues/{issue['id']}", json={"summary": "Changed"}, headers=org.headers))
    stale = run(client, org.headers, issue, "11", version=1)
    assert stale.status_code == 409 and stale.json()["error"]["current_version"] == 2
    assert ok(run(client, org.headers, issue, "11", version=2))["version"] == 3
    assert run(client, org.headers, issue, "11").status_code == 409


def test_prefer_return_minimal_answers_204_after_the_same_change(client: TestClient, org: OrgHandle, project: dict,
                                                                  database_url: str) -> None:
    issue = create_issue(client, org.headers, project)
    events = len(outbox(database_url, org))
    minimal = run(client, {**org.headers, "Prefer": "handling=strict, return=minimal"}, issue, "11")
    assert minimal.status_code == 204 and minimal.content == b""
    assert minimal.headers["ETag"] == f'W/"{issue["id"]}-2"'
    assert minimal.headers["Preference-Applied"] == "return=minimal"
    after = get(client, org, issue)
    assert (after["status"]["name"], after["version"]) == ("In Progress", 2)
    assert [i["field"] for i in histories(client, org, issue)[-1]["items"]] == ["status"]
    assert outbox(database_url, org)[events:] == ["status_changed"]
    # Refusals keep their bodies; other preferences get the issue back.
    assert run(client, {**org.headers, "Prefer": "return=minimal"}, issue, "11").status_code == 409
    full = run(client, {**org.headers, "Prefer": "return=representation"}, issue, "21")
    assert ok(full)["status"]["name"] == "To Do"


# -- drafts and publishing ----------------------------------------------------------------------------

FLOW: dict[str, Any] = {
    "name": "Flow", "key": "flow",
    "statuses": [{"name": "Open", "category": "todo"}, {"name": "Doing", "category": "in_progress"},
                 {"name": "Closed", "category": "done"}],
    "initial_status": "Open",
    "transitions": [{"id": "go", "name": "Go", "from": ["Open"], "to": "Doing"},
                    {"id": "close", "name": "Close", "from": [], "to": "Closed"},
                    {"id": "reopen", "name": "Reopen", "from": ["Closed"], "to": "Open"}],
}
# Doing and Closed go; Finished (done) and Review (in progress) arrive.
FLOW_V2: dict[str, Any] = {
    **FLOW,
    "statuses": [{"name": "Open", "category": "todo"}, {"name": "Review", "category": "in_progress"},
                 {"name": "Finished", "category": "done"}],
    "transitions": [{"id": "review", "name": "Review", "from": ["Open"], "to": "Review"},
                    {"id": "finish", "name": "Finish", "from": ["Review"], "to": "Finished"},
                    {"id": "reopen", "name": "Reopen", "from": ["Finished"], "to": "Open"}],
}


def test_editing_creates_a_draft_and_leaves_the_published_workflow(client: TestClient, org: OrgHandle,
                                                                   project: dict) -> None:
    created = create_workflow(client, org, FLOW)
    issue = create_issue(client, org.headers, project, workflow_id="flow")
    edited = ok(client.put(f"/v2/workflows/{created['id']}", json=FLOW_V2, headers=org.headers))
    assert edited["has_draft"] and edited["version"] == 1
    assert edited["definition"] == created["definition"]
    assert [s["name"] for s in edited["draft"]["statuses"]] == ["Open", "Review", "Finished"]
    assert offered(client, org.headers, issue) == {"go", "close"}
    invalid = client.put(f"/v2/workflows/{created['id']}", json={**FLOW_V2, "initial_status": "Nope"},
                         headers=org.headers)
    assert invalid.status_code == 400 and "initial_status" in invalid.json()["error"]["errors"]
    assert client.put(f"/v2/workflows/{created['id']}?version=7", json=FLOW_V2,
                      headers=org.headers).status_code == 409
    assert client.delete(f"/v2/workflows/{created['id']}/draft", headers=org.headers).status_code == 204
    assert not ok(client.get(f"/v2/workflows/{created['id']}", headers=org.headers))["has_draft"]
    no_draft = ok(client.post(f"/v2/workflows/{created['id']}/publish", json={}, headers=org.headers), 400)
    assert no_draft["error"]["code"] == "no_draft"
    # A draft that keeps every status in use publishes without a mapping.
    added = {**FLOW, "transitions": [*FLOW["transitions"], {"id": "pause", "name": "Pause", "from": ["Doing"],
                                                            "to": "Open"}]}
    ok(client.put(f"/v2/workflows/{created['id']}", json=added, headers=org.headers))
    published = ok(client.post(f"/v2/workflows/{created['id']}/publish", headers=org.headers))
    assert published == {"workflow_id": created["id"], "version": 2, "moved": {}}
    ok(run(client, org.headers, issue, "go"))
    assert offered(client, org.headers, issue) == {"close", "pause"}


def test_publishing_a_draft_that_removes_statuses_maps_issues_in_bulk(client: TestClient, org: OrgHandle,
                                                                      project: dict, database_url: str) -> None:
    created = create_workflow(client, org, FLOW)
    open_issue = create_issue(client, org.headers, project, workflow_id="flow")
    doing = [create_issue(client, org.headers, project, workflow_id="flow") for _ in range(3)]
    closed = [create_issue(client, org.headers, project, workflow_id="flow") for _ in range(2)]
    for issue in doing:
        ok(run(client, org.headers, issue, "go"))
    for issue in closed:
        assert ok(run(client, org.headers, issue, "close"))["resolution"]["name"] == "Done"
    other = create_issue(client, org.headers, project)  # default workflow: never touched
    ok(client.put(f"/v2/workflows/{created['id']}", json=FLOW_V2, headers=org.headers))
    refused = ok(client.post(f"/v2/workflows/{created['id']}/publish", json={}, headers=org.headers), 400)["error"]
    assert refused["code"] == "status_mapping_required"
    assert set(refused["errors"]) == {"status_mapping.Doing", "status_mapping.Closed"}
    assert "3 issue(s) are in 'Doing'" in refused["errors"]["status_mapping.Doing"]
    wrong = ok(client.post(f"/v2/workflows/{created['id']}/publish", json={"status_mapping": {
        "Doing": "Done", "Closed": "Open"}}, headers=org.headers), 400)["error"]
    assert set(wrong["errors"]) == {"status_mapping.Doing"}
    assert ok(client.get(f"/v2/workflows/{created['id']}", headers=org.headers))["version"] == 1
    assert get(client, org, doing[0])["status"]["name"] == "Doing"
    events = len(outbox(database_url, org))
    published = ok(client.post(f"/v2/workflows/{created['id']}/publish", json={"status_mapping": {
        "Doing": "Finished", "closed": "Open"}}, headers=org.headers))
    assert published == {"workflow_id": created["id"], "version": 2, "moved": {"Doing": 3, "Closed": 2}}
    # catalog_changed: every catalog change says so (caches of authenticated actors carry its version).
    assert outbox(database_url, org)[events:] == ["catalog_changed", "workflow_published"]
    for issue in doing:
        now = get(client, org, issue)
        assert (now["status"]["name"], now["version"], now["resolution"]["name"]) == ("Finished", 3, "Done")
        assert now["resolved"] is not None
        last = histories(client, org, issue)
        assert len(last) == 2
        assert [(i["field"], i["from_string"], i["to_string"]) for i in last[-1]["items"]] == [
            ("status", "Doing", "Finished"), ("resolution", None, "Done")]
    for issue in closed:
        now = get(client, org, issue)
        assert (now["status"]["name"], now["version"], now["resolution"], now["resolved"]) == ("Open", 3, None, None)
        assert [(i["field"], i["from_string"], i["to_string"]) for i in histories(client, org, issue)[-1]["items"]
                ] == [("status", "Closed", "Open"), ("resolution", "Done", None)]
    # The history says what the issues held: WAS sees the resolutions the move set and cleared.
    for jql, expected in ((f'resolution WAS Done AND key = {doing[0]["key"]}', 1),
                          (f'resolution WAS EMPTY AND key = {doing[0]["key"]}', 1),
                          (f'resolution WAS Done AND key = {closed[0]["key"]}', 1),
                          (f'resolution WAS Done AND key = {open_issue["key"]}', 0)):
        assert ok(client.post("/v2/search", json={"jql": jql}, headers=org.headers))["total"] == expected, jql
    untouched = get(client, org, open_issue)
    assert (untouched["status"]["name"], untouched["version"]) == ("Open", 1)
    assert histories(client, org, open_issue) == []
    assert get(client, org, other)["version"] == 1
    assert offered(client, org.headers, untouched) == {"review"}
    assert offered(client, org.headers, closed[0]) == {"review"}


# -- schemes ------------------------------------------------------------------------------------------

BUGFLOW: dict[str, Any] = {
    "name": "Bug flow", "key": "bugflow",
    "statuses": [{"name": "Triage", "category": "todo"}, {"name": "Fixing", "category": "in_progress"},
                 {"name": "Fixed", "category": "done"}],
    "initial_status": "Triage",
    "transitions": [{"id": "fix", "name": "Fix", "from": ["Triage"], "to": "Fixing"},
                    {"id": "fixed", "name": "Fixed", "from": ["Fixing"], "to": "Fixed"},
                    {"id": "again", "name": "Again", "from": ["Fixed"], "to": "Triage"}],
}


def test_a_workflow_scheme_maps_bugs_to_their_own_workflow(client: TestClient, org: OrgHandle, project: dict,
                                                           member: UserHandle) -> None:
    bugflow = create_workflow(client, org, BUGFLOW)
    types = {t["name"]: t["id"] for t in ok(client.get("/v2/issue-types", headers=org.headers))["issue_types"]}
    old_bug = create_issue(client, org.headers, project, issue_type="Bug")
    started_bug = create_issue(client, org.headers, project, issue_type="Bug")
    ok(run(client, org.headers, started_bug, "11"))
    task = create_issue(client, org.headers, project)
    body = {"name": f"Bugs apart {unique_key()}", "default_workflow": "default",
            "mappings": {str(types["Bug"]): bugflow["id"]}}
    assert client.post("/v2/workflow-schemes", json=body, headers=member.headers).status_code == 403
    bad = client.post("/v2/workflow-schemes", json={**body, "mappings": {"424242": "bugflow"}}, headers=org.headers)
    assert bad.status_code == 400
    scheme = ok(client.post("/v2/workflow-schemes", json=body, headers=org.headers), 201)
    assert scheme["mappings"] == {str(types["Bug"]): bugflow["id"]}
    url = f"/v2/projects/{project['id']}/workflow-scheme"
    refused = ok(client.put(url, json={"workflow_scheme_id": scheme["id"]}, headers=org.headers), 400)["error"]
    assert set(refused["errors"]) == {"status_mapping.To Do", "status_mapping.In Progress"}
    assert client.put(url, json={"workflow_scheme_id": scheme["id"]}, headers=member.headers).status_code == 403
    assigned = ok(client.put(url, json={"workflow_scheme_id": scheme["id"], "status_mapping": {
        "To Do": "Triage", "In Progress": "Fixing"}}, headers=org.headers))
    assert assigned == {"project_id": project["id"], "workflow_scheme_id": scheme["id"], "moved": 2}
    assert ok(client.get(f"/v2/projects/{project['id']}", headers=org.headers))["workflow_scheme_id"] == scheme["id"]
    for issue, status in ((old_bug, "Triage"), (started_bug, "Fixing")):
        now = get(client, org, issue)
        assert (now["workflow_id"], now["status"]["name"]) == (bugflow["id"], status)
        assert histories(client, org, issue)[-1]["items"][0]["to_string"] == status
    assert get(client, org, started_bug)["version"] == 3
    unchanged = get(client, org, task)
    assert unchanged["workflow_id"] == task["workflow_id"] and unchanged["version"] == 1
    new_bug = create_issue(client, org.headers, project, issue_type="Bug")
    assert (new_bug["workflow_id"], new_bug["status"]["name"]) == (bugflow["id"], "Triage")
    assert offered(client, org.headers, new_bug) == {"fix"}
    assert ok(run(client, org.headers, started_bug, "fixed"))["resolution"]["name"] == "Done"
    new_task = create_issue(client, org.headers, project)
    assert new_task["workflow_id"] == task["workflow_id"]


def test_a_user_made_later_sees_the_same_rules(client: TestClient, org: OrgHandle, project: dict,
                                               database_url: str) -> None:
    """Facts are loaded per request: a user created after the workflow is judged like any other."""
    create_workflow(client, org, GATED)
    issue = create_issue(client, org.headers, project, workflow_id="gated")
    late = make_user(database_url, org, role="member")
    assert offered(client, late.headers, issue) == {"subtasks", "free"}


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
    ok(run(client, org.headers, parent, "11"))
    ok(run(client, org.headers, child, "run"))
    # Hidden: never offered, still runnable through the API (for automation).
    assert offered(client, org.headers, child) == set()
    assert ok(run(client, org.headers, child, "auto"))["status"]["name"] == "Queued"


def test_a_transition_comment_counts_however_it_is_sent(client: TestClient, org: OrgHandle, project: dict) -> None:
    create_workflow(client, org, {
        "name": "Explain", "key": "explain",
        "statuses": [{"name": "Asked", "category": "todo"}, {"name": "Declined", "category": "done"}],
        "initial_status": "Asked",
        "transitions": [
            {"id": "decline", "name": "Decline", "from": ["Asked"], "to": "Declined", "screen": ["comment"],
             "validators": [{"type": "field_required", "params": {"fields": ["comment"]}}]},
            {"id": "ask", "name": "Ask again", "from": ["Declined"], "to": "Asked"},
        ]})
    issue = create_issue(client, org.headers, project, workflow_id="explain")
    failed = ok(run(client, org.headers, issue, "decline"), 400)["error"]
    assert [(f["rule"], f["field"]) for f in failed["failures"]] == [("field_required", "comment")]
    # The seed's body shape: a top-level comment satisfies the required comment.
    ok(run(client, org.headers, issue, "decline", comment="Out of scope."))
    ok(run(client, org.headers, issue, "ask"))
    # The comment as a screen field is not dropped either.
    ok(run(client, org.headers, issue, "decline", fields={"comment": "Still out of scope."}))
    bodies = [c["body"] for c in ok(client.get(f"/v2/issues/{issue['id']}/comments",
                                               headers=org.headers))["comments"]]
    assert bodies == ["Out of scope.", "Still out of scope."]
    ok(run(client, org.headers, issue, "ask"))
    assert ok(run(client, org.headers, issue, "decline", fields={"comment": 42}), 400)["error"]["field"] == \
        "fields.comment"


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


# -- the response ---------------------------------------------------------------------------------------

RICH: dict[str, Any] = {
    "name": "Rich", "key": "rich",
    "statuses": [{"name": "New", "category": "todo"}, {"name": "Working", "category": "in_progress"},
                 {"name": "Shipped", "category": "done"}],
    "initial_status": "New",
    "transitions": [
        {"id": "work", "name": "Work", "from": ["New"], "to": "Working", "screen": ["comment", "severity"],
         "validators": [{"type": "field_required", "params": {"fields": ["summary", "priority"]}}],
         "post_functions": [{"type": "assign", "params": {"to": "current_user"}},
                            {"type": "set_field", "params": {"field": "priority", "value": "High"}}]},
        {"id": "plain", "name": "Plain", "from": ["Working"], "to": "New"},
        {"id": "ship", "name": "Ship", "from": ["Working"], "to": "Shipped", "screen": ["resolution", "labels"],
         "post_functions": [{"type": "assign", "params": {"to": "reporter"}},
                            {"type": "add_comment", "params": {"body": "Shipped."}}]},
        {"id": "reopen", "name": "Reopen", "from": ["Shipped"], "to": "Working",
         "post_functions": [{"type": "assign", "params": {"to": "unassigned"}},
                            {"type": "update_parent", "params": {"to_status": "In Progress"}}]},
    ],
}


def test_a_transition_answers_exactly_what_a_fresh_get_reads(client: TestClient, org: OrgHandle, project: dict,
                                                               member: UserHandle) -> None:
    """The transition's response is rendered from what the transition read and wrote, not read
    back: it must equal a GET, with facets, links, sub-tasks, a parent, other users, custom fields."""
    ok(client.post("/v2/fields", json={"name": "Severity", "field_type": "select", "options": ["S1", "S2"]},
                   headers=org.headers), 201)
    create_workflow(client, org, RICH)
    reviewer = ok(client.post("/v2/fields", json={"name": "Reviewer", "field_type": "user"}, headers=org.headers),
                  201)
    component = ok(client.post(f"/v2/projects/{project['id']}/components", json={"name": "Backend"},
                               headers=org.headers), 201)
    version = ok(client.post(f"/v2/projects/{project['key']}/versions", json={"name": "1.0"},
                             headers=org.headers), 201)
    parent = create_issue(client, org.headers, project)
    issue = create_issue(client, member.headers, project, workflow_id="rich", labels=["one", "two"],
                         components=[component["id"]], fix_versions=[version["id"]], due_date="2027-01-02",
                         custom_fields={"severity": "S1", reviewer["key"]: org.admin_user_id, "story_points": 3})
    child = create_issue(client, org.headers, project, issue_type="Sub-task", parent_id=parent["id"],
                         workflow_id="rich", summary="A child")
    blocked = create_issue(client, org.headers, project, summary="Linked")
    ok(client.post("/v2/issue-links", json={"type": "blocks", "outward_issue": issue["key"],
                                            "inward_issue": blocked["key"]}, headers=org.headers), 201)
    steps = [(issue, "work", {"comment": "On it.", "fields": {"severity": "S2"}}), (issue, "plain", {}),
             (issue, "work", {}), (issue, "ship", {"fields": {"resolution": "Fixed", "labels": ["shipped"]}}),
             (issue, "reopen", {}), (child, "work", {}), (child, "ship", {"fields": {"resolution": "Done"}}),
             (child, "reopen", {})]
    for target, transition, body in steps:
        response = run(client, member.headers, target, transition, **body)
        answered = ok(response)
        fresh = get(client, org, target)
        assert answered == fresh, (transition, answered, fresh)
        assert response.headers["ETag"] == f'W/"{fresh["id"]}-{fresh["version"]}"'
    assert get(client, org, issue)["links"][0]["issue"]["key"] == blocked["key"]
    assert get(client, org, parent)["subtasks"][0]["status"]["name"] == "Working"
