"""Workflows, issues and transitions made through /v2 for the workflow and transition tests, and
the workflow documents several of them share."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.outbox import events
from tests.support import OrgHandle

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
    return [row["event_type"] for row in events(database_url, org)]


def get(client: TestClient, org: OrgHandle, issue: dict) -> dict:
    return ok(client.get(f"/v2/issues/{issue['id']}", headers=org.headers))


def set_role(client: TestClient, org: OrgHandle, project: dict, role: str, *users: int) -> None:
    ok(client.put(f"/v2/projects/{project['id']}/roles/{role}", json={"user_ids": list(users)}, headers=org.headers))


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


def use_strict_workflow(client: TestClient, headers: Headers, project: dict) -> None:
    """Put a project on the strict software workflow (To Do → In Progress → In Review → Done,
    Tessera's former default), for tests about a workflow that restricts moves."""
    schemes = ok(client.get("/v2/workflow-schemes", headers=headers))["workflow_schemes"]
    strict = next(s for s in schemes if s["name"] == "Strict software workflow scheme")
    ok(client.put(f"/v2/projects/{project['id']}/workflow-scheme", json={"workflow_scheme_id": strict["id"]},
                  headers=headers))
