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


@post_functions.register
class SetField(PostFunction):
    name = "set_field"
    description = "Set a field to a fixed value."
    Params = SetFieldParams

    def apply(self, ctx: RuleContext, params: SetFieldParams, draft: PlanDraft) -> None:
        draft.field_values[params.field] = params.value


@post_functions.register
class ClearField(PostFunction):
    name = "clear_field"
    description = "Empty a field."
    Params = ClearFieldParams

    def apply(self, ctx: RuleContext, params: ClearFieldParams, draft: PlanDraft) -> None:
        draft.field_values[params.field] = [] if params.field in ("labels", "components", "fix_versions") else None


@post_functions.register
class Assign(PostFunction):
    name = "assign"
    description = "Assign to the current user, the reporter or the project lead, or unassign."
    Params = AssignParams

    def apply(self, ctx: RuleContext, params: AssignParams, draft: PlanDraft) -> None:
        draft.field_values["assignee"] = {
            "current_user": ctx.actor.user_id, "reporter": ctx.issue.reporter_id,
            "project_lead": ctx.project_lead_id, "unassigned": None}[params.to]


@post_functions.register
class SetResolution(PostFunction):
    name = "set_resolution"
    description = "Set the resolution."
    Params = ResolutionParams

    def apply(self, ctx: RuleContext, params: ResolutionParams, draft: PlanDraft) -> None:
        draft.field_values["resolution"] = params.resolution


@post_functions.register
class AddComment(PostFunction):
    name = "add_comment"
    description = "Add a fixed comment."
    Params = CommentParams

    def apply(self, ctx: RuleContext, params: CommentParams, draft: PlanDraft) -> None:
        draft.comments.append(params.body)


@post_functions.register
class UpdateParent(PostFunction):
    name = "update_parent"
    description = "Move the parent issue to a status, e.g. to In Progress when a sub-task starts."
    Params = UpdateParentParams

    def apply(self, ctx: RuleContext, params: UpdateParentParams, draft: PlanDraft) -> None:
        parent = ctx.status(ctx.issue.parent_status_id)
        if parent is None or parent.category not in params.when_parent_in:
            return
        wanted = params.to_status.casefold()
        target = next((s for s in ctx.statuses.values() if s.name.casefold() == wanted), None)
        if target is not None and target.id != parent.id:
            draft.parent_status_id = target.id


@post_functions.register
class FireEvent(PostFunction):
    name = "fire_event"
    description = "Fire a named event for notifications and webhooks."
    Params = EventParams

    def apply(self, ctx: RuleContext, params: EventParams, draft: PlanDraft) -> None:
        if params.event not in draft.events:
            draft.events.append(params.event)
