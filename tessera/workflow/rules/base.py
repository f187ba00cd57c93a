"""Rule base classes and the closed, typed registry they are kept in.

Registration type-checks the class, rejects duplicate names and does no I/O. Third parties add
rules through the entry point groups `tessera.workflow_conditions`, `tessera.workflow_validators`
and `tessera.workflow_post_functions`, each entry pointing at a rule class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tessera.workflow.context import RuleContext


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rule(ABC):
    name: ClassVar[str]
    description: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoParams


class Condition(Rule):
    """Decides whether the acting user may see and run a transition."""

    @abstractmethod
    def passes(self, ctx: RuleContext, params: Any) -> bool: ...


class Validator(Rule):
    """Checks what must hold for the transition to run; returns (field, message) failures."""

    @abstractmethod
    def failures(self, ctx: RuleContext, params: Any) -> list[tuple[str | None, str]]: ...


@dataclass
class PlanDraft:
    """What post-functions accumulate; the engine turns it into a TransitionPlan."""

    field_values: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    parent_status_id: int | None = None


class PostFunction(Rule):
    """Runs after the status change, in order; records its effects on the draft."""

    @abstractmethod
    def apply(self, ctx: RuleContext, params: Any, draft: PlanDraft) -> None: ...


R = TypeVar("R", bound=Rule)


class RuleRegistry(Generic[R]):
    def __init__(self, kind: type[R], entry_point_group: str) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._rules: dict[str, R] = {}

    def register(self, rule_class: type[R]) -> type[R]:
        if not (isinstance(rule_class, type) and issubclass(rule_class, self.kind)):
            raise TypeError(f"{rule_class!r} is not a {self.kind.__name__}")
        name = getattr(rule_class, "name", None)
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"{rule_class.__name__} needs a `name` that is an identifier")
        if not (isinstance(rule_class.Params, type) and issubclass(rule_class.Params, BaseModel)):
            raise TypeError(f"{rule_class.__name__}.Params must be a pydantic model")
        if name in self._rules:
            raise ValueError(f"a {self.kind.__name__.lower()} named '{name}' is already registered")
        self._rules[name] = rule_class()
        return rule_class

    def rule(self, name: str, description: str, params: type[BaseModel] = NoParams) -> Callable[[type[R]], type[R]]:
        """Declares and registers a rule class in one line: its name, what it does, its params."""
        def declare(rule_class: type[R]) -> type[R]:
            rule_class.name, rule_class.description, rule_class.Params = name, description, params
            return self.register(rule_class)

        return declare

    def load_entry_points(self) -> None:
        for entry in entry_points(group=self.entry_point_group):
            rule_class = entry.load()
            if getattr(rule_class, "name", None) not in self._rules:
                self.register(rule_class)

    def get(self, name: str) -> R | None:
        return self._rules.get(name)

    def names(self) -> list[str]:
        return sorted(self._rules)

    def parse_params(self, name: str, params: dict[str, Any]) -> tuple[Any, list[str]]:
        """Validated params, or the list of problems with them."""
        rule = self._rules.get(name)
        if rule is None:
            return None, [f"unknown {self.kind.__name__.lower().replace('postfunction', 'post-function')} "
                          f"type '{name}'; known: {', '.join(self.names())}"]
        try:
            return rule.Params.model_validate(params or {}), []
        except ValidationError as error:
            return None, [f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in error.errors()]
