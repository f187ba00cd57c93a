"""Each built-in post-function's effect on the plan draft, and its params checks."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.workflow.context import RuleContext
from tessera.workflow.rules.base import PlanDraft
from tessera.workflow.rules.post_functions import post_functions
from tests.workflow.contexts import (
    ACTOR_ID,
    DONE,
    IN_PROGRESS,
    IN_REVIEW,
    LEAD_ID,
    REPORTER_ID,
    TODO,
    context,
    snapshot,
)


def run(name: str, ctx: RuleContext, params: dict[str, Any] | None = None, draft: PlanDraft | None = None
        ) -> PlanDraft:
    parsed, problems = post_functions.parse_params(name, params or {})
    assert problems == []
    rule = post_functions.get(name)
    assert rule is not None
    draft = draft or PlanDraft()
    rule.apply(ctx, parsed, draft)
    return draft


def test_the_built_ins_are_registered() -> None:
    assert set(post_functions.names()) >= {"set_field", "clear_field", "assign", "set_resolution", "add_comment",
                                           "update_parent", "fire_event"}


def test_set_field() -> None:
    assert run("set_field", context(), {"field": "priority", "value": "Low"}).field_values == {"priority": "Low"}
    assert run("set_field", context(), {"field": "labels", "value": ["a", "b"]}).field_values == {
        "labels": ["a", "b"]}
    # `value` is required, but may be null.
    assert run("set_field", context(), {"field": "story_points", "value": None}).field_values == {
        "story_points": None}


def test_a_later_post_function_overrides_an_earlier_one() -> None:
    draft = run("set_field", context(), {"field": "priority", "value": "Low"})
    run("clear_field", context(), {"field": "priority"}, draft)
    assert draft.field_values == {"priority": None}


@pytest.mark.parametrize(("field", "empty"), [("labels", []), ("components", []), ("fix_versions", []),
                                              ("due_date", None), ("assignee", None)])
def test_clear_field(field: str, empty: object) -> None:
    assert run("clear_field", context(), {"field": field}).field_values == {field: empty}


@pytest.mark.parametrize(("to", "expected"), [("current_user", ACTOR_ID), ("reporter", REPORTER_ID),
                                              ("project_lead", LEAD_ID), ("unassigned", None)])
def test_assign(to: str, expected: int | None) -> None:
    assert run("assign", context(), {"to": to}).field_values == {"assignee": expected}


def test_set_resolution() -> None:
    assert run("set_resolution", context(), {"resolution": "Won't Do"}).field_values == {"resolution": "Won't Do"}


def test_add_comment_keeps_order() -> None:
    draft = run("add_comment", context(), {"body": "First"})
    run("add_comment", context(), {"body": "Second"}, draft)
    assert draft.comments == ["First", "Second"]
    assert draft.field_values == {}


def test_update_parent_moves_a_parent_in_to_do() -> None:
    ctx = context(issue=snapshot(parent_id=99, parent_status_id=TODO))
    assert run("update_parent", ctx, {"to_status": "in progress"}).parent_status_id == IN_PROGRESS


def test_update_parent_leaves_a_parent_outside_the_given_categories() -> None:
    moving = context(issue=snapshot(parent_id=99, parent_status_id=IN_REVIEW))
    assert run("update_parent", moving, {"to_status": "In Progress"}).parent_status_id is None
    assert run("update_parent", moving, {"to_status": "Done", "when_parent_in": ["in_progress"]}
               ).parent_status_id == DONE


def test_update_parent_without_parent_unknown_or_same_status_does_nothing() -> None:
    assert run("update_parent", context(), {"to_status": "In Progress"}).parent_status_id is None
    ctx = context(issue=snapshot(parent_id=99, parent_status_id=TODO))
    assert run("update_parent", ctx, {"to_status": "Shipped"}).parent_status_id is None
    assert run("update_parent", ctx, {"to_status": "To Do"}).parent_status_id is None


def test_fire_event_once_per_name() -> None:
    draft = run("fire_event", context(), {"event": "issue_resolved"})
    run("fire_event", context(), {"event": "issue_resolved"}, draft)
    run("fire_event", context(), {"event": "qa_ready"}, draft)
    assert draft.events == ["issue_resolved", "qa_ready"]


@pytest.mark.parametrize(("name", "params", "where"), [
    ("set_field", {"field": "priority"}, "value"),
    ("set_field", {"field": "", "value": 1}, "field"),
    ("clear_field", {}, "field"),
    ("assign", {"to": "boss"}, "to"),
    ("set_resolution", {"resolution": ""}, "resolution"),
    ("add_comment", {"body": ""}, "body"),
    ("add_comment", {"body": "x" * 32_768}, "body"),
    ("update_parent", {"to_status": "In Progress", "when_parent_in": ["someday"]}, "when_parent_in.0"),
    ("update_parent", {}, "to_status"),
    ("fire_event", {"event": "Issue Resolved"}, "event"),
    ("fire_event", {"event": "x", "extra": True}, "extra"),
])
def test_bad_params_are_reported_with_their_location(name: str, params: dict[str, Any], where: str) -> None:
    parsed, problems = post_functions.parse_params(name, params)
    assert parsed is None
    assert problems and problems[0].startswith(f"{where}:")


def test_unknown_post_function_type() -> None:
    _, problems = post_functions.parse_params("send_fax", {})
    assert problems[0].startswith("unknown post-function type 'send_fax'")
