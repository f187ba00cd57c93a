"""validate_definition reports every mistake with its path; the rule registries are closed and
typed, and third-party rules arrive through entry points."""

from __future__ import annotations

import copy
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from tessera.errors import InvalidInput
from tessera.workflow import engine
from tessera.workflow.definition import WorkflowSpec, json_schema, validate_definition
from tessera.workflow.rules.base import Condition, RuleRegistry, Validator
from tessera.workflow.rules.conditions import conditions
from tessera.workflow.rules.validators import validators
from tessera.workflow.service import parse_spec
from tessera.workflow.templates import BUSINESS, SOFTWARE, TEMPLATES
from tests.workflow.contexts import IN_PROGRESS, TODO, actor, context, snapshot


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


@pytest.mark.parametrize("template", list(TEMPLATES.values()), ids=list(TEMPLATES))
def test_the_templates_are_sound(template: dict[str, Any]) -> None:
    assert errors_of(template) == {}


def test_a_sound_document_has_no_errors() -> None:
    assert errors_of(document()) == {}


def test_unreachable_statuses_are_named_by_path() -> None:
    doc = document()
    doc["statuses"].append({"name": "Limbo", "category": "in_progress"})
    doc["transitions"].append({"id": "out", "name": "Out of limbo", "from": ["Limbo"], "to": "Closed"})
    assert errors_of(doc) == {"statuses[3]": "status 'Limbo' cannot be reached from 'New'"}


def test_a_global_transition_makes_its_target_reachable() -> None:
    doc = document()
    doc["statuses"].append({"name": "Rejected", "category": "done"})
    doc["transitions"].append({"id": "reject", "name": "Reject", "from": [], "to": "Rejected"})
    assert errors_of(doc) == {}
    doc["transitions"][-1]["from"] = ["*"]
    assert errors_of(doc) == {}


def test_reachability_follows_edges_only_forward() -> None:
    doc = document(transitions=[{"id": "start", "name": "Start", "from": ["New"], "to": "Working"},
                                {"id": "back", "name": "Back", "from": ["Closed"], "to": "New"}])
    assert errors_of(doc) == {"statuses[2]": "status 'Closed' cannot be reached from 'New'"}


def test_a_transition_to_an_unknown_status() -> None:
    assert errors_of(with_transition(2, to="Shipped")) == {"transitions[2].to": "unknown status 'Shipped'"}


def test_an_unknown_source_status() -> None:
    errors = errors_of(with_transition(2, **{"from": ["Closed", "Archived"]}))
    assert errors == {"transitions[2].from[1]": "unknown status 'Archived'"}


def test_an_unknown_initial_status() -> None:
    assert errors_of(document(initial_status="Backlog")) == {"initial_status": "unknown status 'Backlog'"}


def test_a_duplicated_transition_id() -> None:
    doc = document()
    doc["transitions"].append({"id": "start", "name": "Start again", "from": ["Closed"], "to": "Working"})
    assert errors_of(doc) == {"transitions[3].id": "duplicated transition id 'start'"}


def test_a_duplicated_status_ignoring_case() -> None:
    doc = document()
    doc["statuses"].append({"name": "working", "category": "in_progress"})
    assert errors_of(doc) == {"statuses[3].name": "duplicated status 'working'"}


SOUND_RULES = {"conditions": {"type": "not_blocked"}, "validators": {"type": "resolution_required"},
               "post_functions": {"type": "add_comment", "params": {"body": "x"}}}


@pytest.mark.parametrize(("group", "kind"), [("conditions", "condition"), ("validators", "validator"),
                                             ("post_functions", "post-function")])
def test_an_unknown_rule_type(group: str, kind: str) -> None:
    errors = errors_of(with_transition(0, **{group: [SOUND_RULES[group], {"type": "telepathy"}]}))
    assert list(errors) == [f"transitions[0].{group}[1].type"]
    assert errors[f"transitions[0].{group}[1].type"].startswith(f"unknown {kind} type 'telepathy'")


@pytest.mark.parametrize(("group", "rule", "message"), [
    ("conditions", {"type": "user_in_project_role", "params": {"role": "owners"}}, "role: "),
    ("validators", {"type": "field_matches", "params": {"field": "summary", "pattern": "("}}, "pattern: "),
    ("post_functions", {"type": "assign", "params": {}}, "to: Field required"),
])
def test_bad_params(group: str, rule: dict, message: str) -> None:
    errors = errors_of(with_transition(1, **{group: [rule]}))
    assert list(errors) == [f"transitions[1].{group}[0].params"]
    assert errors[f"transitions[1].{group}[0].params"].startswith(message)


def test_an_unknown_screen_field() -> None:
    errors = errors_of(with_transition(1, screen=["resolution", "mood"]))
    assert list(errors) == ["transitions[1].screen[1]"]
    assert errors["transitions[1].screen[1]"].startswith("unknown field 'mood'")
    assert errors_of(with_transition(1, screen=["resolution", "mood"]), custom_field_keys=frozenset({"mood"})) == {}


def test_every_mistake_is_reported_at_once() -> None:
    doc = copy.deepcopy(document())
    doc["transitions"][0]["to"] = "Nowhere"
    doc["transitions"][1]["screen"] = ["mood"]
    doc["transitions"][2]["conditions"] = [{"type": "telepathy"}]
    doc["transitions"].append({"id": "close", "name": "Dup", "from": ["New"], "to": "Closed"})
    # Working is no longer reachable either: a consequence, reported too.
    assert set(errors_of(doc)) == {"transitions[0].to", "statuses[1]", "transitions[1].screen[0]",
                                   "transitions[2].conditions[0].type", "transitions[3].id"}


def test_structure_errors_carry_their_path() -> None:
    doc = document()
    del doc["transitions"][1]["to"]
    doc["statuses"][0]["category"] = "backlog"
    doc["transitions"][0]["id"] = "has space"
    with pytest.raises(InvalidInput) as raised:
        parse_spec(doc)
    assert set(raised.value.errors) == {"transitions.1.to", "statuses.0.category", "transitions.0.id"}
    with pytest.raises(InvalidInput) as raised:
        parse_spec({**document(), "colour": "blue"})
    assert set(raised.value.errors) == {"colour"}


def test_the_json_schema_names_the_portable_fields() -> None:
    schema = json_schema()
    assert set(schema["required"]) == {"name", "statuses", "initial_status"}
    transition = schema["$defs"]["TransitionSpec"]["properties"]
    assert "from" in transition and "from_" not in transition


def test_templates_have_the_documented_transitions() -> None:
    assert [t["id"] for t in SOFTWARE["transitions"]] == ["11", "21", "31", "41", "51", "61", "71"]
    assert [s["name"] for s in BUSINESS["statuses"]] == ["To Do", "In Progress", "Done"]


# -- the registry -------------------------------------------------------------------------------------

def fresh_conditions() -> RuleRegistry[Condition]:
    return RuleRegistry(Condition, "tessera.workflow_conditions")


def test_registering_a_class_that_is_not_a_rule_is_refused() -> None:
    registry = fresh_conditions()

    class NotARule:
        name = "not_a_rule"

    with pytest.raises(TypeError, match="is not a Condition"):
        registry.register(NotARule)  # type: ignore[arg-type]

    class AValidator(Validator):
        name = "a_validator"

        def failures(self, ctx: Any, params: Any) -> list[tuple[str | None, str]]:
            return []

    with pytest.raises(TypeError, match="is not a Condition"):
        registry.register(AValidator)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        registry.register(lambda ctx, params: True)  # type: ignore[arg-type]
    assert registry.names() == []


def test_a_duplicate_name_is_refused() -> None:
    registry = fresh_conditions()

    class Always(Condition):
        name = "always"

        def passes(self, ctx: Any, params: Any) -> bool:
            return True

    class AlsoAlways(Condition):
        name = "always"

        def passes(self, ctx: Any, params: Any) -> bool:
            return True

    assert registry.register(Always) is Always
    with pytest.raises(ValueError, match="already registered"):
        registry.register(AlsoAlways)
    assert registry.names() == ["always"]
    with pytest.raises(ValueError, match="already registered"):
        conditions.register(type("Again", (Condition,), {"name": "only_assignee", "passes": lambda s, c, p: True}))


def test_a_rule_without_a_params_model_is_refused() -> None:
    registry = fresh_conditions()

    class DictParams(Condition):
        name = "dict_params"
        Params: ClassVar[Any] = dict

        def passes(self, ctx: Any, params: Any) -> bool:
            return True

    class NoneParams(Condition):
        name = "none_params"
        Params: ClassVar[Any] = None

        def passes(self, ctx: Any, params: Any) -> bool:
            return True

    for rule in (DictParams, NoneParams):
        with pytest.raises(TypeError, match="Params must be a pydantic model"):
            registry.register(rule)
    assert registry.names() == []


def test_a_rule_needs_an_identifier_name() -> None:
    registry = fresh_conditions()

    class Nameless(Condition):
        def passes(self, ctx: Any, params: Any) -> bool:
            return True

    class Spaced(Condition):
        name = "has space"

        def passes(self, ctx: Any, params: Any) -> bool:
            return True

    for rule in (Nameless, Spaced):
        with pytest.raises(TypeError, match="identifier"):
            registry.register(rule)


def test_an_abstract_rule_is_refused_without_side_effects() -> None:
    registry = fresh_conditions()

    class Unfinished(Condition):
        name = "unfinished"

    with pytest.raises(TypeError):
        registry.register(Unfinished)
    assert registry.names() == []


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


def test_the_default_params_model_refuses_params() -> None:
    assert issubclass(Condition.Params, BaseModel)
    assert conditions.parse_params("only_reporter", {"anything": 1})[1] == ["anything: Extra inputs are not permitted"]
