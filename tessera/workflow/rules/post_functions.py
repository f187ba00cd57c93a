"""Built-in post-functions: what happens after the status change, in order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tessera.workflow.context import RuleContext
from tessera.workflow.rules.base import PlanDraft, PostFunction, RuleRegistry

post_functions: RuleRegistry[PostFunction] = RuleRegistry(PostFunction, "tessera.workflow_post_functions")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SetFieldParams(_Params):
    field: str = Field(min_length=1, description="summary, priority, labels, due_date, a custom field key...")
    value: Any


class ClearFieldParams(_Params):
    field: str = Field(min_length=1)


class AssignParams(_Params):
    to: Literal["current_user", "reporter", "project_lead", "unassigned"]


class ResolutionParams(_Params):
    resolution: str = Field(min_length=1)


class CommentParams(_Params):
    body: str = Field(min_length=1, max_length=32_767)


class UpdateParentParams(_Params):
    to_status: str = Field(min_length=1, description="Status name the parent moves to.")
    when_parent_in: list[Literal["todo", "in_progress", "done"]] = Field(default_factory=lambda: ["todo"])


class EventParams(_Params):
    event: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")


@post_functions.rule("set_field", "Set a field to a fixed value.", SetFieldParams)
class SetField(PostFunction):
    def apply(self, ctx: RuleContext, params: SetFieldParams, draft: PlanDraft) -> None:
        draft.field_values[params.field] = params.value


@post_functions.rule("clear_field", "Empty a field.", ClearFieldParams)
class ClearField(PostFunction):
    def apply(self, ctx: RuleContext, params: ClearFieldParams, draft: PlanDraft) -> None:
        draft.field_values[params.field] = [] if params.field in ("labels", "components", "fix_versions") else None


@post_functions.rule("assign", "Assign to the current user, the reporter or the project lead, or unassign.",
                     AssignParams)
class Assign(PostFunction):
    def apply(self, ctx: RuleContext, params: AssignParams, draft: PlanDraft) -> None:
        draft.field_values["assignee"] = {
            "current_user": ctx.actor.user_id, "reporter": ctx.issue.reporter_id,
            "project_lead": ctx.project_lead_id, "unassigned": None}[params.to]


@post_functions.rule("set_resolution", "Set the resolution.", ResolutionParams)
class SetResolution(PostFunction):
    def apply(self, ctx: RuleContext, params: ResolutionParams, draft: PlanDraft) -> None:
        draft.field_values["resolution"] = params.resolution


@post_functions.rule("add_comment", "Add a fixed comment.", CommentParams)
class AddComment(PostFunction):
    def apply(self, ctx: RuleContext, params: CommentParams, draft: PlanDraft) -> None:
        draft.comments.append(params.body)


@post_functions.rule("update_parent", "Move the parent issue to a status, e.g. to In Progress when a sub-task starts.",
                     UpdateParentParams)
class UpdateParent(PostFunction):
    def apply(self, ctx: RuleContext, params: UpdateParentParams, draft: PlanDraft) -> None:
        parent = ctx.status(ctx.issue.parent_status_id)
        if parent is None or parent.category not in params.when_parent_in:
            return
        wanted = params.to_status.casefold()
        target = next((s for s in ctx.statuses.values() if s.name.casefold() == wanted), None)
        if target is not None and target.id != parent.id:
            draft.parent_status_id = target.id


@post_functions.rule("fire_event", "Fire a named event for notifications and webhooks.", EventParams)
class FireEvent(PostFunction):
    def apply(self, ctx: RuleContext, params: EventParams, draft: PlanDraft) -> None:
        if params.event not in draft.events:
            draft.events.append(params.event)
