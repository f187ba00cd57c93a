"""The portable workflow format (statuses by name) used by the API, import and export, and its
checks. Structure is checked by the model (its JSON Schema is published); meaning by
`validate_definition`, which reports every mistake with the path to it."""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tessera.workflow.rules.conditions import conditions
from tessera.workflow.rules.post_functions import post_functions
from tessera.workflow.rules.validators import validators

REGISTRIES = {"conditions": conditions, "validators": validators, "post_functions": post_functions}
SCREEN_FIELDS = ("resolution", "assignee", "comment", "priority", "fix_versions", "labels", "due_date")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RuleSpec(_Spec):
    type: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)


class StatusSpec(_Spec):
    name: str = Field(min_length=1, max_length=64)
    category: Literal["todo", "in_progress", "done"]


class TransitionSpec(_Spec):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=255)
    from_: list[str] = Field(default_factory=list, alias="from",
                             description="Source status names; empty (or [\"*\"]) means from any status.")
    to: str = Field(min_length=1, max_length=64)
    conditions: list[RuleSpec] = Field(default_factory=list, max_length=50)
    condition_mode: Literal["all", "any"] = "all"
    validators: list[RuleSpec] = Field(default_factory=list, max_length=50)
    post_functions: list[RuleSpec] = Field(default_factory=list, max_length=50)
    screen: list[str] = Field(default_factory=list, max_length=50,
                              description="Fields asked for on the transition screen.")
    hidden: bool = Field(default=False, description="Not offered in the UI; for automation and the API.")


class WorkflowSpec(_Spec):
    name: str = Field(min_length=1, max_length=255)
    key: str | None = Field(default=None, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(default="", max_length=10_000)
    statuses: list[StatusSpec] = Field(min_length=1, max_length=200)
    initial_status: str = Field(min_length=1, max_length=64)
    transitions: list[TransitionSpec] = Field(default_factory=list, max_length=500)


def json_schema() -> dict[str, Any]:
    return WorkflowSpec.model_json_schema(by_alias=True)


def validate_definition(spec: WorkflowSpec, *, custom_field_keys: frozenset[str] = frozenset()
                     ) -> dict[str, str]:
    """Every semantic mistake, as {path: message}. Empty means the workflow is sound."""
    errors: dict[str, str] = {}
    names: dict[str, int] = {}
    for index, status in enumerate(spec.statuses):
        folded = status.name.casefold()
        if folded in names:
            errors[f"statuses[{index}].name"] = f"duplicated status '{status.name}'"
        names.setdefault(folded, index)
    if spec.initial_status.casefold() not in names:
        errors["initial_status"] = f"unknown status '{spec.initial_status}'"
    seen_ids: dict[str, int] = {}
    edges: dict[str, set[str]] = {name: set() for name in names}
    global_targets: set[str] = set()
    for index, transition in enumerate(spec.transitions):
        where = f"transitions[{index}]"
        if transition.id in seen_ids:
            errors[f"{where}.id"] = f"duplicated transition id '{transition.id}'"
        seen_ids.setdefault(transition.id, index)
        target = transition.to.casefold()
        if target not in names:
            errors[f"{where}.to"] = f"unknown status '{transition.to}'"
        sources = [s for s in transition.from_ if s != "*"]
        for source_index, source in enumerate(sources):
            if source.casefold() not in names:
                errors[f"{where}.from[{source_index}]"] = f"unknown status '{source}'"
            elif target in names:
                edges[source.casefold()].add(target)
        if not sources and target in names:
            global_targets.add(target)
        for field_index, field in enumerate(transition.screen):
            if field not in SCREEN_FIELDS and field not in custom_field_keys:
                errors[f"{where}.screen[{field_index}]"] = (
                    f"unknown field '{field}'; screens take {', '.join(SCREEN_FIELDS)} or a custom field key")
        for group, registry in REGISTRIES.items():
            for rule_index, rule in enumerate(getattr(transition, group)):
                _, problems = registry.parse_params(rule.type, rule.params)
                for problem in problems:
                    path = f"{where}.{group}[{rule_index}]" + (".type" if problem.startswith("unknown") else ".params")
                    errors.setdefault(path, problem)
    if "initial_status" not in errors and not any(k.startswith("statuses") for k in errors):
        reachable = _reachable(spec.initial_status.casefold(), edges, global_targets)
        for index, status in enumerate(spec.statuses):
            if status.name.casefold() not in reachable:
                errors.setdefault(f"statuses[{index}]",
                                  f"status '{status.name}' cannot be reached from '{spec.initial_status}'")
    return errors


def _reachable(start: str, edges: dict[str, set[str]], global_targets: set[str]) -> set[str]:
    seen = {start} | global_targets
    queue = deque(seen)
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen
