"""Transitions through the `jira` package: to Done with a resolution and a comment."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError


def test_transitions_to_done_with_a_resolution_and_a_comment(jira: JIRA, issue) -> None:  # type: ignore[no-untyped-def]
    transitions = jira.transitions(issue)
    assert [t["name"] for t in transitions] == ["Start Progress", "Won't Do"]
    assert transitions[0]["to"]["statusCategory"]["key"] == "indeterminate"
    jira.transition_issue(issue, "Start Progress")
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
        jira.transition_issue(issue, "11")  # Start Progress does not start from Done
    assert unavailable.value.status_code == 409 and unavailable.value.response.json()["errorMessages"]
    with pytest.raises(JIRAError) as unknown:
        jira.transition_issue(issue, "999")
    assert unknown.value.status_code == 400 and "transition" in unknown.value.response.json()["errors"]
