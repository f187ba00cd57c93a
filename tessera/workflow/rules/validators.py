"""Built-in validators: what must hold for a transition to run. Every failure is reported."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tessera.workflow.context import RuleContext
from tessera.workflow.rules.base import RuleRegistry, Validator
from tessera.workflow.rules.conditions import PermissionParams, RoleParams

validators: RuleRegistry[Validator] = RuleRegistry(Validator, "tessera.workflow_validators")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == () or value == {}


class FieldsParams(_Params):
    fields: list[str] = Field(min_length=1)
    message: str | None = None


class PatternParams(_Params):
    field: str = Field(min_length=1)
    pattern: str = Field(min_length=1, max_length=500)
    message: str | None = None

    @field_validator("pattern")
    @classmethod
    def compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a valid regular expression: {error}") from None
        return pattern


class ParentStatusParams(_Params):
    statuses: list[str] = Field(default_factory=list, description="Status names the parent may be in.")
    categories: list[Literal["todo", "in_progress", "done"]] = Field(default_factory=list)


class DateRangeParams(_Params):
    field: str = Field(min_length=1)
    min: date | None = None
    max: date | None = None
    min_days_from_now: int | None = Field(default=None, ge=-36_500, le=36_500)
    max_days_from_now: int | None = Field(default=None, ge=-36_500, le=36_500)
    required: bool = False


@validators.rule("field_required", "The listed fields have a value after the transition screen.", FieldsParams)
class FieldRequired(Validator):
    def failures(self, ctx: RuleContext, params: FieldsParams) -> list[tuple[str | None, str]]:
        return [(name, params.message or f"{name} is required for this transition.")
                for name in params.fields if _empty(ctx.value(name))]


@validators.rule("field_matches", "A text field matches a regular expression.", PatternParams)
class FieldMatches(Validator):
    def failures(self, ctx: RuleContext, params: PatternParams) -> list[tuple[str | None, str]]:
        value = ctx.value(params.field)
        if _empty(value) or re.search(params.pattern, str(value)):
            return []
        return [(params.field, params.message or f"{params.field} must match {params.pattern}.")]


@validators.rule("permission", "The user holds a project permission.", PermissionParams)
class PermissionValidator(Validator):
    def failures(self, ctx: RuleContext, params: PermissionParams) -> list[tuple[str | None, str]]:
        if params.permission.upper() in ctx.actor.permissions:
            return []
        return [(None, f"You need the {params.permission.upper()} permission for this transition.")]


@validators.rule("user_in_project_role", "The user holds a role in the issue's project.", RoleParams)
class UserInRoleValidator(Validator):
    def failures(self, ctx: RuleContext, params: RoleParams) -> list[tuple[str | None, str]]:
        if params.role in ctx.actor.project_roles:
            return []
        return [(None, f"Only project {params.role} may run this transition.")]


@validators.rule("parent_status", "The parent issue is in one of the given statuses or categories.", ParentStatusParams)
class ParentStatus(Validator):
    def failures(self, ctx: RuleContext, params: ParentStatusParams) -> list[tuple[str | None, str]]:
        parent = ctx.status(ctx.issue.parent_status_id)
        if parent is None:
            return []
        names = {name.casefold() for name in params.statuses}
        if parent.name.casefold() in names or parent.category in params.categories:
            return []
        wanted = ", ".join([*params.statuses, *params.categories]) or "nothing"
        return [("parent", f"The parent issue is {parent.name}; it must be in {wanted}.")]


@validators.rule("date_in_range", "A date field lies within fixed or relative bounds.", DateRangeParams)
class DateInRange(Validator):
    def failures(self, ctx: RuleContext, params: DateRangeParams) -> list[tuple[str | None, str]]:
        value = ctx.value(params.field)
        if _empty(value):
            return [(params.field, f"{params.field} is required.")] if params.required else []
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        except ValueError:
            return [(params.field, f"{params.field} must be a date.")]
        today = (ctx.now.date() if ctx.now else date.today())
        low = params.min
        high = params.max
        if params.min_days_from_now is not None:
            low = max(filter(None, [low, today + timedelta(days=params.min_days_from_now)]))
        if params.max_days_from_now is not None:
            high = min(filter(None, [high, today + timedelta(days=params.max_days_from_now)]))
        if low is not None and day < low:
            return [(params.field, f"{params.field} must be on or after {low.isoformat()}.")]
        if high is not None and day > high:
            return [(params.field, f"{params.field} must be on or before {high.isoformat()}.")]
        return []


@validators.rule("resolution_required", "A resolution is chosen when the transition enters a Done status.")
class ResolutionOnDone(Validator):
    def failures(self, ctx: RuleContext, params: Any) -> list[tuple[str | None, str]]:
        target = ctx.status(ctx.to_status_id)
        if target is not None and target.category == "done" and _empty(ctx.screen.get("resolution")):
            return [("resolution", "Choose a resolution.")]
        return []
