"""/v2/workflows and workflow schemes, on both backends: definitions in and out (JSON, YAML), every
mistake with its path, who may create them, the default workflows, drafts beside the published
workflow, and schemes that give an issue type its own workflow."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.factories.workflows import (
    FLOW,
    FLOW_V2,
    GATED,
    create_issue,
    create_workflow,
    get,
    histories,
    offered,
    ok,
    run,
    use_strict_workflow,
)
from tests.support import OrgHandle, UserHandle, unique_key

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
    software, business, strict = workflows["default"], workflows["business"], workflows["software_strict"]
    assert software["is_default"] and not business["is_default"] and not strict["is_default"]
    # Jira's default: a global transition to each status, named after it.
    assert [(t["id"], t["name"], t["from"]) for t in software["definition"]["transitions"]] == [
        ("11", "To Do", []), ("21", "In Progress", []), ("31", "Done", []), ("41", "In Review", []),
        ("51", "Won't Do", [])]
    assert strict["name"] == "Strict software workflow"
    assert [t["name"] for t in strict["definition"]["transitions"]][:2] == ["Start Progress", "Stop Progress"]
    assert [s["name"] for s in software["definition"]["statuses"]] == [
        "To Do", "In Progress", "In Review", "Done", "Won't Do"]
    assert [s["name"] for s in business["definition"]["statuses"]] == ["To Do", "In Progress", "Done"]
    schemes = {s["default_workflow_id"] for s in ok(client.get("/v2/workflow-schemes",
                                                              headers=org.headers))["workflow_schemes"]}
    assert {software["id"], business["id"], strict["id"]} <= schemes
    task = create_issue(client, org.headers, project)
    assert task["workflow_id"] == software["id"]
    assert offered(client, org.headers, task) == {"21", "31", "41", "51"}
    assert ok(run(client, org.headers, task, "Done"))["resolution"]["name"] == "Done"  # straight from To Do
    reopened = ok(run(client, org.headers, task, "To Do"))
    assert reopened["resolution"] is None and reopened["status"]["name"] == "To Do"
    use_strict_workflow(client, org.headers, project)
    careful = create_issue(client, org.headers, project)
    assert careful["workflow_id"] == strict["id"] and offered(client, org.headers, careful) == {"11", "61"}
    ops = ok(client.post("/v2/projects", json={"key": "OPS", "name": "Operations", "project_type": "business"},
                         headers=org.headers), 201)
    errand = create_issue(client, org.headers, ops)
    assert errand["workflow_id"] == business["id"] and errand["status"]["name"] == "To Do"
    assert offered(client, org.headers, errand) == {"11", "31"}
    assert ok(run(client, org.headers, errand, "31"))["status"]["name"] == "Done"
    mismatch = client.get(f"/v2/workflows/{software['id']}/transitions?issue_id={errand['id']}", headers=org.headers)
    assert mismatch.status_code == 400


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
    ok(run(client, org.headers, started_bug, "21"))
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
