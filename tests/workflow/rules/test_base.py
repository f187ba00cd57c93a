"""The rule registries are closed and typed: registration refuses what is not a rule, duplicate
names, rules without a params model or an identifier name, and abstract rules, without side
effects; the default params model refuses params."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from tessera.workflow.rules.base import Condition, Validator
from tessera.workflow.rules.conditions import conditions
from tests.workflow.documents import fresh_conditions


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


def test_the_default_params_model_refuses_params() -> None:
    assert issubclass(Condition.Params, BaseModel)
    assert conditions.parse_params("only_reporter", {"anything": 1})[1] == ["anything: Extra inputs are not permitted"]
