"""Each built-in validator: passing, failing (field and message), and its params checks."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.workflow.context import RuleContext
from tessera.workflow.rules.validators import validators
from tests.workflow.contexts import (
    DONE,
    IN_PROGRESS,
    IN_REVIEW,
    TODO,
    actor,
    context,
    snapshot,
)


def failures(name: str, ctx: RuleContext, params: dict[str, Any] | None = None) -> list[tuple[str | None, str]]:
    parsed, problems = validators.parse_params(name, params or {})
    assert problems == []
    rule = validators.get(name)
    assert rule is not None
    return rule.failures(ctx, parsed)


def test_the_built_ins_are_registered() -> None:
    assert set(validators.names()) >= {"field_required", "field_matches", "permission", "user_in_project_role",
                                       "parent_status", "date_in_range", "resolution_required"}


def test_field_required_reports_every_empty_field() -> None:
    params = {"fields": ["summary", "due_date", "components", "fix_versions"]}
    found = failures("field_required", context(issue=snapshot(fields={"summary": "x", "components": []})), params)
    assert found == [("due_date", "due_date is required for this transition."),
                     ("components", "components is required for this transition."),
                     ("fix_versions", "fix_versions is required for this transition.")]


def test_field_required_takes_screen_input_and_a_custom_message() -> None:
    params = {"fields": ["due_date"], "message": "Set a due date first."}
    assert failures("field_required", context(screen={"due_date": "2026-07-01"}), params) == []
    assert failures("field_required", context(screen={"due_date": ""}), params) == [
        ("due_date", "Set a due date first.")]


def test_field_matches() -> None:
    params = {"field": "summary", "pattern": r"^[A-Z]+-\d+: "}
    assert failures("field_matches", context(screen={"summary": "OPS-12: deploy"}), params) == []
    assert failures("field_matches", context(), params) == [("summary", r"summary must match ^[A-Z]+-\d+: .")]
    # An empty field is field_required's business, not this validator's.
    assert failures("field_matches", context(screen={"summary": ""}), params) == []
    custom = failures("field_matches", context(), {**params, "message": "Prefix the ticket."})
    assert custom == [("summary", "Prefix the ticket.")]


def test_permission() -> None:
    assert failures("permission", context(), {"permission": "transition_issues"}) == []
    assert failures("permission", context(), {"permission": "delete_issues"}) == [
        (None, "You need the DELETE_ISSUES permission for this transition.")]


def test_user_in_project_role() -> None:
    admin = context(facts=actor(project_roles=frozenset({"administrators"})))
    assert failures("user_in_project_role", admin, {"role": "administrators"}) == []
    assert failures("user_in_project_role", context(), {"role": "administrators"}) == [
        (None, "Only project administrators may run this transition.")]


def test_parent_status() -> None:
    params = {"statuses": ["in progress"], "categories": ["done"]}
    assert failures("parent_status", context(issue=snapshot(parent_status_id=IN_PROGRESS)), params) == []
    assert failures("parent_status", context(issue=snapshot(parent_status_id=DONE)), params) == []
    assert failures("parent_status", context(issue=snapshot(parent_status_id=IN_REVIEW)), params) == [
        ("parent", "The parent issue is In Review; it must be in in progress, done.")]
    # Not a sub-task: nothing to check.
    assert failures("parent_status", context(), params) == []
    assert failures("parent_status", context(issue=snapshot(parent_status_id=TODO)), {}) == [
        ("parent", "The parent issue is To Do; it must be in nothing.")]


@pytest.mark.parametrize(("value", "params", "expected"), [
    ("2026-06-20", {"min": "2026-06-01", "max": "2026-06-30"}, []),
    ("2026-05-31", {"min": "2026-06-01"}, [("due_date", "due_date must be on or after 2026-06-01.")]),
    ("2026-07-01", {"max": "2026-06-30"}, [("due_date", "due_date must be on or before 2026-06-30.")]),
    # Relative bounds count from the context's `now` (2026-06-15).
    ("2026-06-16", {"min_days_from_now": 1, "max_days_from_now": 7}, []),
    ("2026-06-15", {"min_days_from_now": 1}, [("due_date", "due_date must be on or after 2026-06-16.")]),
    ("2026-06-23", {"max_days_from_now": 7}, [("due_date", "due_date must be on or before 2026-06-22.")]),
    # The tighter of a fixed and a relative bound wins.
    ("2026-06-17", {"min": "2026-06-18", "min_days_from_now": 1}, [
        ("due_date", "due_date must be on or after 2026-06-18.")]),
    ("2026-06-20T10:00:00", {"max": "2026-06-30"}, []),
    ("next week", {}, [("due_date", "due_date must be a date.")]),
    (None, {}, []),
    (None, {"required": True}, [("due_date", "due_date is required.")]),
])
def test_date_in_range(value: str | None, params: dict[str, Any], expected: list) -> None:
    ctx = context(screen={"due_date": value} if value is not None else {})
    assert failures("date_in_range", ctx, {"field": "due_date", **params}) == expected


def test_resolution_required_only_when_entering_done() -> None:
    assert failures("resolution_required", context(to_status_id=DONE)) == [("resolution", "Choose a resolution.")]
    assert failures("resolution_required", context(to_status_id=DONE, screen={"resolution": "Fixed"})) == []
    assert failures("resolution_required", context(to_status_id=IN_PROGRESS)) == []


@pytest.mark.parametrize(("name", "params", "where"), [
    ("field_required", {"fields": []}, "fields"),
    ("field_required", {}, "fields"),
    ("field_matches", {"field": "summary", "pattern": "("}, "pattern"),
    ("field_matches", {"field": "summary", "pattern": "x" * 501}, "pattern"),
    ("field_matches", {"pattern": "x"}, "field"),
    ("permission", {"permission": ""}, "permission"),
    ("permission", {"permission": "VIEW_DEV_TOOLS"}, "permission"),
    ("user_in_project_role", {"role": "guests"}, "role"),
    ("parent_status", {"categories": ["closed"]}, "categories.0"),
    ("date_in_range", {"field": "due_date", "min": "someday"}, "min"),
    ("date_in_range", {"field": "due_date", "max_days_from_now": 10**6}, "max_days_from_now"),
    ("resolution_required", {"resolution": "Fixed"}, "resolution"),
])
def test_bad_params_are_reported_with_their_location(name: str, params: dict[str, Any], where: str) -> None:
    parsed, problems = validators.parse_params(name, params)
    assert parsed is None
    assert problems and problems[0].startswith(f"{where}:")


def test_invalid_regex_says_so() -> None:
    _, problems = validators.parse_params("field_matches", {"field": "summary", "pattern": "[a-"})
    assert "not a valid regular expression" in problems[0]


def test_unknown_validator_type() -> None:
    _, problems = validators.parse_params("looks_good", {})
    assert problems[0].startswith("unknown validator type 'looks_good'")


def test_field_required_sees_the_transition_comment() -> None:
    params = {"fields": ["comment"]}
    assert failures("field_required", context(), params) == [("comment", "comment is required for this transition.")]
    assert failures("field_required", context(comment="Because."), params) == []
    assert failures("field_required", context(screen={"comment": "Because."}), params) == []
