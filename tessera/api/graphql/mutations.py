"""The mutation root: create, update and transition issues, and comment on them. Each mutation
is one unit of work through the same domain actions as /v2 (so history, events, live updates and
permissions follow), committed before its result is read. Errors name the input at fault
(`extensions.field`, e.g. `input.summary`); a stale `version` is a CONFLICT carrying
`currentVersion`."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.scalars import JSON

from tessera.api.graphql.errors import input_errors
from tessera.api.graphql.issues import IssueNode, issue_nodes
from tessera.api.graphql.nodes import CommentNode, Ctx
from tessera.errors import InvalidInput
from tessera.issues.comments.service import check_add_comment
from tessera.issues.creation import check_create_issue_for_view
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.service import access_issue, check_update_issue
from tessera.issues.transitions import check_transition_issue

UNSET: Any = strawberry.UNSET


@strawberry.input(description="A new issue. Types, priorities and components match by name or id.")
class CreateIssueInput:
    project_id: strawberry.ID = strawberry.field(description="Project id or key.")
    issue_type: str = strawberry.field(description="Issue type name or id, e.g. Story.")
    summary: str
    description: str | None = UNSET
    priority: str | None = UNSET
    assignee_id: strawberry.ID | None = UNSET
    reporter_id: strawberry.ID | None = UNSET
    labels: list[str] | None = UNSET
    components: list[str] | None = UNSET
    fix_versions: list[str] | None = UNSET
    affected_versions: list[str] | None = UNSET
    due_date: date | None = UNSET
    parent_id: strawberry.ID | None = UNSET
    custom_fields: JSON | None = strawberry.field(default=UNSET, description="By field key, name or customfield_N, "
                                                                             'e.g. {"story_points": 5}.')


@strawberry.input(description="Only the fields given change; null clears an optional one.")
class UpdateIssueInput:
    summary: str | None = UNSET
    description: str | None = UNSET
    issue_type: str | None = UNSET
    priority: str | None = UNSET
    assignee_id: strawberry.ID | None = UNSET
    reporter_id: strawberry.ID | None = UNSET
    labels: list[str] | None = UNSET
    components: list[str] | None = UNSET
    fix_versions: list[str] | None = UNSET
    affected_versions: list[str] | None = UNSET
    due_date: date | None = UNSET
    parent_id: strawberry.ID | None = UNSET
    custom_fields: JSON | None = UNSET


def _given(data: object) -> dict[str, Any]:
    """The input's fields the client sent (null included), by their domain names."""
    given = {name: value for name, value in vars(data).items() if value is not UNSET}
    if given.get("custom_fields") is not None and not isinstance(given["custom_fields"], dict):
        raise InvalidInput("customFields is an object of field keys to values.", field="custom_fields")
    return given


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an issue; it starts in its workflow's initial status.")
    async def create_issue(self, info: Ctx, input: CreateIssueInput) -> IssueNode:
        with input_errors("input"):
            data = IssueCreate.model_validate(_given(input))
            async with info.context.writing() as (session, actor):
                created = await check_create_issue_for_view(session, actor=actor, data=data)
        return issue_nodes(info, [created.issue])[0]

    @strawberry.mutation(description="Change an issue's fields. Send the `version` you read: if someone changed the "
                                     "issue since, nothing changes and the error carries currentVersion.")
    async def update_issue(self, info: Ctx, id: strawberry.ID, input: UpdateIssueInput,
                           version: int | None = None) -> IssueNode:
        with input_errors("input"):
            data = IssueUpdate.model_validate(_given(input))
            async with info.context.writing() as (session, actor):
                issue, project = await access_issue(session, actor, str(id))
                issue = await check_update_issue(session, actor=actor, issue=issue, project=project, data=data,
                                                 expected_version=version)
        return issue_nodes(info, [issue])[0]

    @strawberry.mutation(description="Run a workflow transition (by id or name), with its screen's `fields` and an "
                                     "optional comment.")
    async def transition_issue(self, info: Ctx, id: strawberry.ID, transition: str, fields: JSON | None = None,
                               comment: str | None = None, version: int | None = None) -> IssueNode:
        if fields is not None and not isinstance(fields, dict):
            raise InvalidInput("fields is an object of screen field names to values.", field="fields")
        with input_errors(renames={"transition_id": "transition"}):
            async with info.context.writing() as (session, actor):
                issue, project = await access_issue(session, actor, str(id))
                issue = await check_transition_issue(session, actor=actor, issue=issue, project=project,
                                                     transition_ref=transition, fields=fields, comment=comment,
                                                     expected_version=version)
        return issue_nodes(info, [issue])[0]

    @strawberry.mutation(description="Comment on an issue (Markdown, @mentions); a reply names its parentId; "
                                     "visibilityRole restricts it to a project role you hold.")
    async def add_comment(self, info: Ctx, issue_id: strawberry.ID, body: str, parent_id: strawberry.ID | None = None,
                          visibility_role: str | None = None) -> CommentNode:
        visibility = {"type": "role", "value": visibility_role} if visibility_role is not None else None
        with input_errors(renames={"visibility": "visibility_role"}):
            async with info.context.writing() as (session, actor):
                issue, project = await access_issue(session, actor, str(issue_id))
                comment = await check_add_comment(session, actor=actor, issue=issue, project=project, body=body,
                                                  parent_id=None if parent_id is None else str(parent_id),
                                                  visibility=visibility)
        return CommentNode(row=comment)
