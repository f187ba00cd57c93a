"""Built-in conditions: who may see and run a transition."""

from __future__ import annotations

import operator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tessera.tenancy.permissions import Permission
from tessera.workflow.context import RuleContext
from tessera.workflow.rules.base import Condition, RuleRegistry

conditions: RuleRegistry[Condition] = RuleRegistry(Condition, "tessera.workflow_conditions")

COMPARATORS = {"=": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge, "<": operator.lt,
               "<=": operator.le}


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PermissionParams(_Params):
    permission: str = Field(min_length=1, description="A project permission, e.g. TRANSITION_ISSUES.")

    @field_validator("permission")
    @classmethod
    def known(cls, permission: str) -> str:
        """An unknown name would fail closed for everyone, admins included: refuse it when saved."""
        if permission.upper() not in {p.value for p in Permission}:
            raise ValueError(f"unknown permission '{permission}'; known: {', '.join(p.value for p in Permission)}")
        return permission


class RoleParams(_Params):
    role: Literal["administrators", "developers", "users"]


class GroupParams(_Params):
    group: str = Field(min_length=1)


class FieldValueParams(_Params):
    field: str = Field(min_length=1)
    operator: Literal["=", "!=", ">", ">=", "<", "<=", "is_empty", "is_not_empty"] = "="
    value: Any = None


class CategoryParams(_Params):
    category: Literal["todo", "in_progress", "done"] = "done"


def compare(actual: Any, op: str, expected: Any) -> bool:
    empty = actual is None or actual == "" or actual == [] or actual == ()
    if op == "is_empty":
        return empty
    if op == "is_not_empty":
        return not empty
    if isinstance(actual, list | tuple):
        found = any(str(item).casefold() == str(expected).casefold() for item in actual)
        return found if op == "=" else (not found if op == "!=" else False)
    if isinstance(actual, str) and isinstance(expected, str) and op in ("=", "!="):
        return (actual.casefold() == expected.casefold()) == (op == "=")
    try:
        return bool(COMPARATORS[op](actual, expected))
    except TypeError:
        return False


@conditions.rule("permission", "The user holds a project permission.", PermissionParams)
class PermissionCondition(Condition):
    def passes(self, ctx: RuleContext, params: PermissionParams) -> bool:
        return params.permission.upper() in ctx.actor.permissions


@conditions.rule("user_in_project_role", "The user holds a role in the issue's project.", RoleParams)
class UserInProjectRole(Condition):
    def passes(self, ctx: RuleContext, params: RoleParams) -> bool:
        return params.role in ctx.actor.project_roles


@conditions.rule("user_in_group", "The user is a member of a group.", GroupParams)
class UserInGroup(Condition):
    def passes(self, ctx: RuleContext, params: GroupParams) -> bool:
        return params.group.casefold() in {g.casefold() for g in ctx.actor.groups}


@conditions.rule("only_assignee", "Only the issue's assignee.")
class OnlyAssignee(Condition):
    def passes(self, ctx: RuleContext, params: Any) -> bool:
        return ctx.issue.assignee_id == ctx.actor.user_id


@conditions.rule("only_reporter", "Only the issue's reporter.")
class OnlyReporter(Condition):
    def passes(self, ctx: RuleContext, params: Any) -> bool:
        return ctx.issue.reporter_id == ctx.actor.user_id


@conditions.rule("field_value", "A field of the issue compares to a value.", FieldValueParams)
class FieldValueCondition(Condition):
    def passes(self, ctx: RuleContext, params: FieldValueParams) -> bool:
        return compare(ctx.issue.fields.get(params.field), params.operator, params.value)


@conditions.rule("subtasks_in_category", "Every sub-task is in a status of the given category (Done by default).",
                 CategoryParams)
class SubtasksInCategory(Condition):
    def passes(self, ctx: RuleContext, params: CategoryParams) -> bool:
        return all((status := ctx.status(sid)) is not None and status.category == params.category
                   for sid in ctx.issue.subtask_status_ids)


@conditions.rule("not_blocked", "No unresolved issue blocks this one.")
class NotBlocked(Condition):
    def passes(self, ctx: RuleContext, params: Any) -> bool:
        return not ctx.issue.open_blocker_keys
