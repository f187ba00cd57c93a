"""Each built-in condition, passing and failing, and its params checks."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.workflow.context import RuleContext
from tessera.workflow.rules.conditions import compare, conditions
from tests.workflow.contexts import (
    ACTOR_ID,
    DONE,
    IN_PROGRESS,
    TODO,
    actor,
    context,
    snapshot,
)


def passes(name: str, ctx: RuleContext, params: dict[str, Any] | None = None) -> bool:
    parsed, problems = conditions.parse_params(name, params or {})
    assert problems == []
    rule = conditions.get(name)
    assert rule is not None
    return rule.passes(ctx, parsed)


def test_the_built_ins_are_registered() -> None:
    assert set(conditions.names()) >= {"permission", "user_in_project_role", "user_in_group", "only_assignee",
                                       "only_reporter", "field_value", "subtasks_in_category", "not_blocked"}


def test_permission() -> None:
    holder = context(facts=actor(permissions=frozenset({"TRANSITION_ISSUES", "DELETE_ISSUES"})))
    assert passes("permission", holder, {"permission": "delete_issues"})
    assert not passes("permission", context(), {"permission": "DELETE_ISSUES"})


def test_user_in_project_role() -> None:
    developer = context(facts=actor(project_roles=frozenset({"developers"})))
    assert passes("user_in_project_role", developer, {"role": "developers"})
    assert not passes("user_in_project_role", developer, {"role": "administrators"})
    assert not passes("user_in_project_role", context(), {"role": "users"})


def test_user_in_group() -> None:
    qa = context(facts=actor(groups=frozenset({"QA Team"})))
    assert passes("user_in_group", qa, {"group": "qa team"})
    assert not passes("user_in_group", qa, {"group": "release-managers"})


def test_only_assignee() -> None:
    assert passes("only_assignee", context(issue=snapshot(assignee_id=ACTOR_ID)))
    assert not passes("only_assignee", context(issue=snapshot(assignee_id=ACTOR_ID + 1)))
    assert not passes("only_assignee", context(issue=snapshot(assignee_id=None)))


def test_only_reporter() -> None:
    assert passes("only_reporter", context(issue=snapshot(reporter_id=ACTOR_ID)))
    assert not passes("only_reporter", context())


@pytest.mark.parametrize(("params", "expected"), [
    ({"field": "priority", "value": "high"}, True),
    ({"field": "priority", "operator": "!=", "value": "High"}, False),
    ({"field": "labels", "value": "UI"}, True),
    ({"field": "labels", "operator": "!=", "value": "ui"}, False),
    ({"field": "labels", "operator": "!=", "value": "docs"}, True),
    ({"field": "story_points", "operator": ">=", "value": 5}, True),
    ({"field": "story_points", "operator": ">", "value": 5}, False),
    ({"field": "story_points", "operator": "<", "value": "five"}, False),
    ({"field": "due_date", "operator": "is_empty"}, True),
    ({"field": "summary", "operator": "is_not_empty"}, True),
    ({"field": "missing", "operator": "is_not_empty"}, False),
])
def test_field_value(params: dict[str, Any], expected: bool) -> None:
    assert passes("field_value", context(), params) is expected


def test_compare_on_a_list_with_an_ordering_operator_is_false() -> None:
    assert compare(["a"], ">", "a") is False


def test_subtasks_in_category() -> None:
    assert passes("subtasks_in_category", context(issue=snapshot(subtask_status_ids=(DONE, DONE))))
    assert passes("subtasks_in_category", context(issue=snapshot(subtask_status_ids=())))
    assert not passes("subtasks_in_category", context(issue=snapshot(subtask_status_ids=(DONE, TODO))))
    assert passes("subtasks_in_category", context(issue=snapshot(subtask_status_ids=(IN_PROGRESS,))),
                  {"category": "in_progress"})
    # A status the catalog does not know fails closed.
    assert not passes("subtasks_in_category", context(issue=snapshot(subtask_status_ids=(999,))))


def test_not_blocked() -> None:
    assert passes("not_blocked", context())
    assert not passes("not_blocked", context(issue=snapshot(open_blocker_keys=("PROJ-9",))))


@pytest.mark.parametrize(("name", "params", "where"), [
    ("permission", {}, "permission"),
    ("permission", {"permission": ""}, "permission"),
    # A permission Tessera does not have would hide the transition from everyone, admins too.
    ("permission", {"permission": "VIEW_DEV_TOOLS"}, "permission"),
    ("permission", {"permission": "TRANSITION_ISSUE"}, "permission"),
    ("user_in_project_role", {"role": "owners"}, "role"),
    ("user_in_group", {"group": ""}, "group"),
    ("field_value", {"field": "priority", "operator": "~"}, "operator"),
    ("subtasks_in_category", {"category": "finished"}, "category"),
    ("only_assignee", {"extra": 1}, "extra"),
    ("not_blocked", {"extra": 1}, "extra"),
])
def test_bad_params_are_reported_with_their_location(name: str, params: dict[str, Any], where: str) -> None:
    parsed, problems = conditions.parse_params(name, params)
    assert parsed is None
    assert problems and problems[0].startswith(f"{where}:")


def test_unknown_condition_type_names_the_known_ones() -> None:
    parsed, problems = conditions.parse_params("is_friday", {})
    assert parsed is None
    assert problems[0].startswith("unknown condition type 'is_friday'")
    assert "only_assignee" in problems[0]
