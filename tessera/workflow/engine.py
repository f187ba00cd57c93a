"""The pure workflow engine: given a stored definition and a rule context, which transitions
are available, and what running one would do (a TransitionPlan). No I/O: the issues service
loads the context and applies the plan in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tessera.errors import Conflict, InvalidInput, PermissionDenied
from tessera.workflow.context import RuleContext
from tessera.workflow.rules.base import PlanDraft
from tessera.workflow.rules.conditions import conditions
from tessera.workflow.rules.post_functions import post_functions
from tessera.workflow.rules.validators import validators


@dataclass(frozen=True)
class TransitionPlan:
    transition_id: str
    transition_name: str
    from_status_id: int
    to_status_id: int
    field_values: dict[str, Any] = field(default_factory=dict)
    comments: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    parent_status_id: int | None = None


class TransitionForbidden(PermissionDenied):
    code = "transition_forbidden"


class TransitionInvalid(InvalidInput):
    code = "transition_invalid"


def starts_from(transition: dict, status_id: int) -> bool:
    sources = transition.get("from") or []
    return (not sources or status_id in sources) and transition["to"] != status_id


def find(definition: dict, ref: str | int) -> dict | None:
    wanted = str(ref).strip().casefold()
    for transition in definition.get("transitions", []):
        if str(transition["id"]).casefold() == wanted:
            return transition
    for transition in definition.get("transitions", []):
        if transition["name"].casefold() == wanted:
            return transition
    return None


def _rules(transition: dict, group: str) -> list[dict]:
    return list(transition.get(group) or [])


def conditions_pass(transition: dict, ctx: RuleContext) -> bool:
    rules = _rules(transition, "conditions")
    if not rules:
        return True
    results = []
    for rule in rules:
        condition = conditions.get(rule["type"])
        params, problems = conditions.parse_params(rule["type"], rule.get("params") or {})
        # A rule that no longer parses (e.g. a removed plug-in) fails closed.
        results.append(condition is not None and not problems and condition.passes(ctx, params))
    return any(results) if transition.get("condition_mode") == "any" else all(results)


def available(definition: dict, status_id: int, context_for: Any, *, include_hidden: bool = False) -> list[dict]:
    """Transitions from `status_id` whose conditions pass; `context_for(transition)` builds the
    rule context for each candidate (its target status differs)."""
    return [t for t in definition.get("transitions", [])
            if starts_from(t, status_id) and (include_hidden or not t.get("hidden"))
            and conditions_pass(t, context_for(t))]


def plan(transition: dict, ctx: RuleContext) -> TransitionPlan:
    """Check conditions (403 when they fail) and every validator (400 listing all failures),
    then run the post-functions in order."""
    if not starts_from(transition, ctx.issue.status_id):
        current = ctx.status(ctx.issue.status_id)
        raise Conflict(f"Transition '{transition['name']}' is not available from "
                       f"{current.name if current else 'the current status'}.", code="transition_unavailable")
    if not conditions_pass(transition, ctx):
        raise TransitionForbidden(f"You may not run '{transition['name']}' on {ctx.issue.key}.")
    failures: list[dict[str, str | None]] = []
    for rule in _rules(transition, "validators"):
        validator = validators.get(rule["type"])
        params, problems = validators.parse_params(rule["type"], rule.get("params") or {})
        if validator is None or problems:
            failures.append({"rule": rule["type"], "field": None,
                             "message": f"Validator '{rule['type']}' is not usable: {'; '.join(problems)}"})
            continue
        for field_name, message in validator.failures(ctx, params):
            failures.append({"rule": rule["type"], "field": field_name, "message": message})
    if failures:
        errors: dict[str, str] = {}
        for failure in failures:
            key = failure["field"] or failure["rule"] or "transition"
            errors[key] = f"{errors[key]} {failure['message']}" if key in errors else str(failure["message"])
        raise TransitionInvalid("; ".join(str(f["message"]) for f in failures), errors=errors,
                                data={"failures": failures})
    draft = PlanDraft()
    for rule in _rules(transition, "post_functions"):
        post_function = post_functions.get(rule["type"])
        params, problems = post_functions.parse_params(rule["type"], rule.get("params") or {})
        if post_function is not None and not problems:
            post_function.apply(ctx, params, draft)
    return TransitionPlan(
        transition_id=str(transition["id"]), transition_name=transition["name"],
        from_status_id=ctx.issue.status_id, to_status_id=transition["to"],
        field_values=draft.field_values, comments=tuple(draft.comments), events=tuple(draft.events),
        parent_status_id=draft.parent_status_id)
