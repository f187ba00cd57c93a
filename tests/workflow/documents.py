"""Workflow documents for the definition, template and rule registry tests: a sound one to change,
the errors check_definition finds in one, and a fresh registry of conditions."""

from __future__ import annotations

from typing import Any

from tessera.workflow.definition import WorkflowSpec, validate_definition
from tessera.workflow.rules.base import Condition, RuleRegistry


def document(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Triage",
        "statuses": [{"name": "New", "category": "todo"}, {"name": "Working", "category": "in_progress"},
                     {"name": "Closed", "category": "done"}],
        "initial_status": "New",
        "transitions": [
            {"id": "start", "name": "Start", "from": ["New"], "to": "Working"},
            {"id": "close", "name": "Close", "from": ["Working"], "to": "Closed", "screen": ["resolution"]},
            {"id": "reopen", "name": "Reopen", "from": ["Closed"], "to": "New"},
        ],
    }
    base.update(changes)
    return base


def errors_of(doc: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    return validate_definition(WorkflowSpec.model_validate(doc), **kwargs)


def with_transition(index: int, **changes: Any) -> dict[str, Any]:
    doc = document()
    doc["transitions"][index].update(changes)
    return doc


def fresh_conditions() -> RuleRegistry[Condition]:
    return RuleRegistry(Condition, "tessera.workflow_conditions")
