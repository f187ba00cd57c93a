"""Running transitions over /v2, on both backends: conditions that hide a transition and forbid
running it, private projects, atomicity, version conflicts, Prefer: return=minimal, transition
comments, and an answer equal to what a fresh GET reads."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.workflows import (
    EFFECTS,
    GATED,
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
from tests.support import OrgHandle, UserHandle, make_user

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
    ok(run(client, org.headers, sub, "51"))  # Won't Do: a Done-category status
    ok(run(client, org.headers, blocker, "51"))
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
    refused = run(client, member.headers, issue, "21")
    assert refused.status_code == 404, refused.text
    # A project member of the private project sees and runs it.
    set_role(client, org, private, "developers", member.user_id)
    assert offered(client, member.headers, issue) == {"21", "31", "41", "51"}
    assert ok(run(client, member.headers, issue, "21"))["status"]["name"] == "In Progress"


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
    stale = run(client, org.headers, issue, "21", version=1)
    assert stale.status_code == 409 and stale.json()["error"]["current_version"] == 2
    assert ok(run(client, org.headers, issue, "21", version=2))["version"] == 3
    assert run(client, org.headers, issue, "21").status_code == 409


def test_prefer_return_minimal_answers_204_after_the_same_change(client: TestClient, org: OrgHandle, project: dict,
                                                                  database_url: str) -> None:
    issue = create_issue(client, org.headers, project)
    events = len(outbox(database_url, org))
    minimal = run(client, {**org.headers, "Prefer": "handling=strict, return=minimal"}, issue, "21")
    assert minimal.status_code == 204 and minimal.content == b""
    assert minimal.headers["ETag"] == f'W/"{issue["id"]}-2"'
    assert minimal.headers["Preference-Applied"] == "return=minimal"
    after = get(client, org, issue)
    assert (after["status"]["name"], after["version"]) == ("In Progress", 2)
    assert [i["field"] for i in histories(client, org, issue)[-1]["items"]] == ["status"]
    assert outbox(database_url, org)[events:] == ["status_changed"]
    # Refusals keep their bodies; other preferences get the issue back.
    assert run(client, {**org.headers, "Prefer": "return=minimal"}, issue, "21").status_code == 409
    full = run(client, {**org.headers, "Prefer": "return=representation"}, issue, "11")
    assert ok(full)["status"]["name"] == "To Do"


def test_a_user_made_later_sees_the_same_rules(client: TestClient, org: OrgHandle, project: dict,
                                               database_url: str) -> None:
    """Facts are loaded per request: a user created after the workflow is judged like any other."""
    create_workflow(client, org, GATED)
    issue = create_issue(client, org.headers, project, workflow_id="gated")
    late = make_user(database_url, org, role="member")
    assert offered(client, late.headers, issue) == {"subtasks", "free"}


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
