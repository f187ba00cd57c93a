"""Transitions through the `jira` package: to Done with a resolution and a comment, on the
default workflow and on the strict template."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from jira import JIRA, JIRAError

from tests.factories.workflows import use_strict_workflow
from tests.support import OrgHandle


def test_transitions_to_done_with_a_resolution_and_a_comment(jira: JIRA, issue) -> None:  # type: ignore[no-untyped-def]
    """Jira's default software workflow: a global transition to every other status, named after it."""
    transitions = jira.transitions(issue)
    assert [(t["id"], t["name"]) for t in transitions] == [("21", "In Progress"), ("31", "Done"),
                                                           ("41", "In Review"), ("51", "Won't Do")]
    assert transitions[0]["to"]["statusCategory"]["key"] == "indeterminate" and transitions[0]["isGlobal"] is True
    expanded = jira.transitions(issue.key, expand="transitions.fields")
    done = next(t for t in expanded if t["name"] == "Done")
    assert set(done["fields"]) == {"resolution", "comment"} and done["hasScreen"] is True
    assert {v["name"] for v in done["fields"]["resolution"]["allowedValues"]} >= {"Fixed", "Done"}
    assert jira.find_transitionid_by_name(issue, "done") == done["id"]
    jira.transition_issue(issue, done["id"], fields={"resolution": {"name": "Fixed"}}, comment="Shipped in 2.3")
    fresh = jira.issue(issue.key)
    assert fresh.fields.status.name == "Done" and fresh.fields.status.statusCategory.key == "done"
    assert fresh.fields.resolution.name == "Fixed" and fresh.fields.resolutiondate is not None
    assert [c.body for c in fresh.fields.comment.comments] == ["Shipped in 2.3"]
    with pytest.raises(JIRAError) as unavailable:
        jira.transition_issue(issue, "31")  # already Done: a global transition is not offered to its own target
    assert unavailable.value.status_code == 409 and unavailable.value.response.json()["errorMessages"]
    jira.transition_issue(issue, "To Do")  # reopening clears the resolution
    reopened = jira.issue(issue.key)
    assert reopened.fields.status.name == "To Do" and reopened.fields.resolution is None
    jira.transition_issue(issue, "Done")  # straight from To Do, no resolution given: Done
    assert jira.issue(issue.key).fields.resolution.name == "Done"
    with pytest.raises(JIRAError) as unknown:
        jira.transition_issue(issue, "999")
    assert unknown.value.status_code == 400 and "transition" in unknown.value.response.json()["errors"]


def test_the_strict_template_keeps_the_step_by_step_path(jira: JIRA, client: TestClient, org: OrgHandle,
                                                         project: dict) -> None:
    use_strict_workflow(client, org.headers, project)
    issue = jira.create_issue(project="WEB", summary="Careful change", issuetype={"name": "Task"})
    assert [t["name"] for t in jira.transitions(issue)] == ["Start Progress", "Won't Do"]
    with pytest.raises(JIRAError):
        jira.transition_issue(issue, "Done")  # the client finds no transition of that name
    jira.transition_issue(issue, "Start Progress")
    jira.transition_issue(issue, "Done")
    assert jira.issue(issue.key).fields.resolution.name == "Done"
