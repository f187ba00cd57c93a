"""Third-party rules arrive through entry points: a fresh registry and the real ones load them,
usable in a workflow, and a rule whose plugin is gone fails closed."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tessera.workflow import engine
from tessera.workflow.rules.conditions import conditions
from tessera.workflow.rules.validators import validators
from tests.workflow.contexts import IN_PROGRESS, TODO, actor, context, snapshot
from tests.workflow.documents import errors_of, fresh_conditions, with_transition

PLUGIN = textwrap.dedent('''
    from typing import Any
    from pydantic import BaseModel, ConfigDict
    from tessera.workflow.rules.base import Condition, Validator


    class WeekdayParams(BaseModel):
        model_config = ConfigDict(extra="forbid")
        days: list[int]


    class OnWeekdays(Condition):
        name = "acme_on_weekdays"
        description = "Only on the given ISO weekdays (from the context's clock)."
        Params = WeekdayParams

        def passes(self, ctx: Any, params: WeekdayParams) -> bool:
            return ctx.now.isoweekday() in params.days


    class NoSecrets(Validator):
        name = "acme_no_secrets"

        def failures(self, ctx: Any, params: Any) -> list:
            text = str(ctx.value("summary") or "")
            return [("summary", "The summary looks like it holds a password.")] if "password" in text else []
''')


@pytest.fixture
def plugin_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed-looking distribution `acme-workflow-rules` declaring rules in two groups."""
    (tmp_path / "acme_workflow_rules.py").write_text(PLUGIN)
    dist = tmp_path / "acme_workflow_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-workflow-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[tessera.workflow_conditions]\nacme_on_weekdays = acme_workflow_rules:OnWeekdays\n\n"
        "[tessera.workflow_validators]\nacme_no_secrets = acme_workflow_rules:NoSecrets\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    conditions._rules.pop("acme_on_weekdays", None)
    validators._rules.pop("acme_no_secrets", None)
    sys.modules.pop("acme_workflow_rules", None)


def test_a_fresh_registry_loads_a_third_party_rule(plugin_on_path: Path) -> None:
    registry = fresh_conditions()
    registry.load_entry_points()
    assert "acme_on_weekdays" in registry.names()
    params, problems = registry.parse_params("acme_on_weekdays", {"days": [1, 2]})
    assert problems == []
    rule = registry.get("acme_on_weekdays")
    assert rule is not None and rule.passes(context(), params) is True  # the context's NOW is a Monday
    assert rule.passes(context(), registry.parse_params("acme_on_weekdays", {"days": [3]})[0]) is False
    assert "acme_on_weekdays" not in conditions.names()


def test_the_real_registries_load_third_party_rules_usable_in_a_workflow(plugin_on_path: Path) -> None:
    from tessera.workflow.rules.plugins import load_plugins

    load_plugins()
    load_plugins()  # idempotent: what is registered stays
    assert "acme_on_weekdays" in conditions.names() and "acme_no_secrets" in validators.names()
    doc = with_transition(0, conditions=[{"type": "acme_on_weekdays", "params": {"days": [1]}}],
                          validators=[{"type": "acme_no_secrets"}])
    assert errors_of(doc) == {}
    bad = with_transition(0, conditions=[{"type": "acme_on_weekdays", "params": {"days": "mondays"}}])
    assert list(errors_of(bad)) == ["transitions[0].conditions[0].params"]
    # The engine runs it: the stored definition has status ids instead of names.
    transition = {"id": "start", "name": "Start", "from": [TODO], "to": IN_PROGRESS,
                  "conditions": [{"type": "acme_on_weekdays", "params": {"days": [context().now.isoweekday()]}}],
                  "validators": [{"type": "acme_no_secrets"}]}
    plan = engine.plan(transition, context(facts=actor()))
    assert plan.to_status_id == IN_PROGRESS
    with pytest.raises(engine.TransitionInvalid) as invalid:
        engine.plan(transition, context(issue=snapshot(fields={"summary": "password is hunter2"})))
    assert invalid.value.data["failures"] == [{"rule": "acme_no_secrets", "field": "summary",
                                               "message": "The summary looks like it holds a password."}]
    closed_today = {**transition, "conditions": [{"type": "acme_on_weekdays", "params": {"days": []}}]}
    with pytest.raises(engine.TransitionForbidden):
        engine.plan(closed_today, context())


def test_a_rule_whose_plugin_is_gone_fails_closed() -> None:
    transition = {"id": "x", "name": "X", "from": [TODO], "to": IN_PROGRESS,
                  "conditions": [{"type": "uninstalled_rule"}]}
    assert engine.available({"transitions": [transition]}, TODO, lambda t: context()) == []
    broken = {**transition, "conditions": [], "validators": [{"type": "uninstalled_rule"}]}
    with pytest.raises(engine.TransitionInvalid) as invalid:
        engine.plan(broken, context())
    assert invalid.value.data["failures"][0]["rule"] == "uninstalled_rule"
