"""The pure planner: which transitions are available, and what running one plans."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.errors import Conflict
from tessera.workflow import engine
from tests.workflow.contexts import (
    ACTOR_ID,
    DONE,
    IN_PROGRESS,
    IN_REVIEW,
    TODO,
    actor,
    context,
    snapshot,
)


def transition(id: str, sources: list[int], to: int, **rules: Any) -> dict[str, Any]:
    return {"id": id, "name": f"Go {id}", "from": sources, "to": to, **rules}


DEFINITION = {"transitions": [
    transition("start", [TODO], IN_PROGRESS),
    transition("review", [IN_PROGRESS], IN_REVIEW, conditions=[{"type": "only_assignee"}]),
    transition("finish", [IN_PROGRESS, IN_REVIEW], DONE, hidden=True),
    transition("drop", [], DONE),
]}


def ids(found: list[dict]) -> list[str]:
    return [t["id"] for t in found]


def test_starts_from_sources_or_anywhere_but_the_target() -> None:
    assert engine.starts_from(transition("a", [TODO], IN_PROGRESS), TODO)
    assert not engine.starts_from(transition("a", [TODO], IN_PROGRESS), IN_PROGRESS)
    assert engine.starts_from(transition("g", [], DONE), TODO)
    assert not engine.starts_from(transition("g", [], DONE), DONE)
    assert not engine.starts_from(transition("loop", [TODO], TODO), TODO)


def test_find_by_id_before_name() -> None:
    definition = {"transitions": [transition("11", [TODO], IN_PROGRESS), {**transition("x", [TODO], DONE),
                                                                          "name": "11"}]}
    assert engine.find(definition, 11)["id"] == "11"
    assert engine.find(definition, "x")["name"] == "11"
    assert engine.find(definition, " go 11 ")["id"] == "11"
    assert engine.find(DEFINITION, "GO START")["id"] == "start"
    assert engine.find(DEFINITION, "nope") is None


def test_available_applies_sources_conditions_and_hidden() -> None:
    assert ids(engine.available(DEFINITION, TODO, lambda t: context())) == ["start", "drop"]
    assert ids(engine.available(DEFINITION, IN_PROGRESS, lambda t: context())) == ["drop"]
    mine = context(issue=snapshot(assignee_id=ACTOR_ID))
    assert ids(engine.available(DEFINITION, IN_PROGRESS, lambda t: mine)) == ["review", "drop"]
    assert ids(engine.available(DEFINITION, IN_PROGRESS, lambda t: mine, include_hidden=True)) == [
        "review", "finish", "drop"]
    assert ids(engine.available(DEFINITION, DONE, lambda t: context())) == []


def test_condition_mode_any_needs_one() -> None:
    either = transition("x", [TODO], DONE, condition_mode="any",
                        conditions=[{"type": "only_assignee"}, {"type": "only_reporter"}])
    assert engine.conditions_pass(either, context(issue=snapshot(reporter_id=ACTOR_ID)))
    assert not engine.conditions_pass(either, context())
    both = {**either, "condition_mode": "all"}
    assert not engine.conditions_pass(both, context(issue=snapshot(reporter_id=ACTOR_ID)))
    assert engine.conditions_pass(both, context(issue=snapshot(reporter_id=ACTOR_ID, assignee_id=ACTOR_ID)))


def test_plan_refuses_a_transition_from_elsewhere_with_a_conflict() -> None:
    with pytest.raises(Conflict) as raised:
        engine.plan(transition("review", [IN_PROGRESS], IN_REVIEW), context())
    assert raised.value.code == "transition_unavailable" and "To Do" in raised.value.message


def test_plan_checks_conditions_before_validators() -> None:
    guarded = transition("x", [TODO], DONE, conditions=[{"type": "only_assignee"}],
                         validators=[{"type": "resolution_required"}])
    with pytest.raises(engine.TransitionForbidden):
        engine.plan(guarded, context(to_status_id=DONE))


def test_plan_reports_every_validator_failure() -> None:
    strict = transition("x", [TODO], DONE, validators=[
        {"type": "field_required", "params": {"fields": ["due_date", "fix_versions"]}},
        {"type": "permission", "params": {"permission": "DELETE_ISSUES"}},
        {"type": "resolution_required"},
        {"type": "field_required", "params": {"fields": ["due_date"], "message": "Really, a due date."}},
    ])
    with pytest.raises(engine.TransitionInvalid) as raised:
        engine.plan(strict, context(to_status_id=DONE))
    failures = raised.value.data["failures"]
    assert [(f["rule"], f["field"]) for f in failures] == [
        ("field_required", "due_date"), ("field_required", "fix_versions"), ("permission", None),
        ("resolution_required", "resolution"), ("field_required", "due_date")]
    assert raised.value.errors["due_date"] == "due_date is required for this transition. Really, a due date."
    assert set(raised.value.errors) == {"due_date", "fix_versions", "permission", "resolution"}


def test_plan_runs_post_functions_in_order() -> None:
    rich = transition("x", [TODO], IN_PROGRESS, post_functions=[
        {"type": "set_field", "params": {"field": "priority", "value": "Low"}},
        {"type": "assign", "params": {"to": "current_user"}},
        {"type": "set_field", "params": {"field": "priority", "value": "High"}},
        {"type": "add_comment", "params": {"body": "Started."}},
        {"type": "fire_event", "params": {"event": "started"}},
        {"type": "update_parent", "params": {"to_status": "In Progress"}},
        {"type": "no_longer_installed"},
    ])
    plan = engine.plan(rich, context(issue=snapshot(parent_id=1, parent_status_id=TODO),
                                     facts=actor(permissions=frozenset({"TRANSITION_ISSUES"}))))
    assert plan == engine.TransitionPlan(
        transition_id="x", transition_name="Go x", from_status_id=TODO, to_status_id=IN_PROGRESS,
        field_values={"priority": "High", "assignee": ACTOR_ID}, comments=("Started.",), events=("started",),
        parent_status_id=IN_PROGRESS)
