"""/rest/api/2/issue: create (one or in bulk), get, edit, delete, assign."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.additions import apply_additions
from tessera.api.jira.bodies import json_body, json_object, ref_of
from tessera.api.jira.dialect import is_cloud, issue_body_from, links_for
from tessera.api.jira.errors import error_shape
from tessera.api.jira.issue_input import needs_current, translate_issue_body
from tessera.api.jira.people import AUTOMATIC, login_of, user_id_for
from tessera.api.jira.transitions import transitions_json
from tessera.edge.context import RequestContext, request_context
from tessera.edge.idempotency import IDEMPOTENCY_DOC, Idempotency
from tessera.errors import InvalidInput, NotFound, TesseraError
from tessera.issues.attachments.service import check_delete_issue_with_attachments, discard_objects
from tessera.issues.creation import check_create_issue_for_view
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.models import Issue
from tessera.issues.references import catalog_for
from tessera.issues.service import access_issue, check_update_issue
from tessera.issues.views import render_issues
from tessera.jira_format.fields import select_fields
from tessera.jira_format.issue_json import render_jira_issues
from tessera.jira_format.shapes import Links, split_values, truthy
from tessera.projects.models import Project
from tessera.projects.service import access_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
FieldsParam = Annotated[list[str] | None, Query(max_length=200)]
ExpandParam = Annotated[str | None, Query(max_length=500)]
MAX_BULK = 50


def parse_expand(expand: str | None) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in (expand or "").split(",") if part.strip())


async def _automatic_assignee(session: AsyncSession, actor: Actor, body: dict[str, Any],
                              project: Project | None) -> int | None:
    """Jira's "-1" assignee: the project's lead."""
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    if str(login_of(fields.get("assignee"))) != AUTOMATIC:
        return None
    if project is None:
        try:
            project = await access_project(session, actor, ref_of(fields.get("project"), "id", "key"))
        except NotFound:
            return None
    return project.lead_id


async def create_from_body(session: AsyncSession, actor: Actor, body: dict[str, Any], *, cloud: bool) -> Issue:
    catalog = await catalog_for(session, actor)
    body = issue_body_from(body, cloud=cloud, catalog=catalog)
    data, changes = await translate_issue_body(session, actor=actor, catalog=catalog, body=body, creating=True,
                                               automatic_assignee=await _automatic_assignee(session, actor, body, None))
    assert isinstance(data, IssueCreate)
    created = await check_create_issue_for_view(session, actor=actor, data=data, catalog=catalog)
    await apply_additions(session, actor=actor, issue=created.issue, project=created.project, changes=changes)
    return created.issue


def created_json(links: Links, issue: Issue) -> dict[str, str]:
    return {"id": str(issue.id), "key": issue.key, "self": links.issue(issue.id)}


@router.post("/issue", status_code=201, responses=IDEMPOTENCY_DOC)
async def create(request: Request, ctx: Ctx, idempotency: Idempotency) -> JSONResponse:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        await idempotency.claim(session, actor)
        issue = await create_from_body(session, actor, body, cloud=is_cloud(ctx))
        response = JSONResponse(created_json(links_for(ctx), issue), status_code=201)
        return await idempotency.store(session, actor, response)


@router.post("/issue/bulk", status_code=201)
async def create_bulk(request: Request, ctx: Ctx) -> JSONResponse:
    """Each issue in its own transaction: the valid ones are created, the others reported by position."""
    body = await json_object(request)
    updates = body.get("issueUpdates")
    if not isinstance(updates, list) or not updates or len(updates) > MAX_BULK:
        raise InvalidInput(f"'issueUpdates' is a list of 1 to {MAX_BULK} issues.", field="issueUpdates")
    async with ctx.transaction(write=False) as (session, actor):
        # An unauthenticated request, or a caller without the bulk change global permission, is
        # refused as a whole, not issue by issue.
        await authorize(session, actor, Permission.BULK_CHANGE)
    links = links_for(ctx)
    created: list[dict] = []
    errors: list[dict] = []
    for position, item in enumerate(updates):
        try:
            if not isinstance(item, dict):
                raise InvalidInput("Each issue is a JSON object with 'fields'.")
            async with ctx.transaction() as (session, actor):
                created.append(created_json(links, await create_from_body(session, actor, item, cloud=links.cloud)))
        except TesseraError as error:
            errors.append({"status": error.status, "elementErrors": error_shape(error), "failedElementNumber": position})
    return JSONResponse({"issues": created, "errors": errors}, status_code=201 if created else 400)


@router.get("/issue/{issue_ref}")
async def get_issue(issue_ref: str, ctx: Ctx, fields: FieldsParam = None, expand: ExpandParam = None,
                    properties: ExpandParam = None) -> dict:
    wanted = parse_expand(expand)
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        selection = select_fields(await catalog_for(session, actor), split_values(fields))
        [view] = await render_jira_issues(session, actor=actor, issues=[issue], links=links, selection=selection,
                                          expand=wanted, projects={project.id: project})
        if "transitions" in wanted:
            view["transitions"] = await transitions_json(session, actor=actor, issue=issue, project=project,
                                                         links=links, with_fields=False)
    return view


@router.put("/issue/{issue_ref}", status_code=204)
async def edit_issue(issue_ref: str, request: Request, ctx: Ctx,
                     notifyUsers: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        catalog = await catalog_for(session, actor)
        body = issue_body_from(body, cloud=is_cloud(ctx), catalog=catalog)
        current = None
        if needs_current(body.get("update")):
            [current] = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=[issue],
                                            catalog=catalog, projects={project.id: project})
        data, changes = await translate_issue_body(
            session, actor=actor, catalog=catalog, body=body, creating=False, current=current,
            automatic_assignee=await _automatic_assignee(session, actor, body, project))
        if data is not None:
            assert isinstance(data, IssueUpdate)
            issue = await check_update_issue(session, actor=actor, issue=issue, project=project, data=data)
        await apply_additions(session, actor=actor, issue=issue, project=project, changes=changes)
    return Response(status_code=204)


@router.delete("/issue/{issue_ref}", status_code=204)
async def delete_issue(issue_ref: str, ctx: Ctx,
                       deleteSubtasks: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        _, keys = await check_delete_issue_with_attachments(session, actor=actor, issue=issue, project=project,
                                                            delete_subtasks=truthy(deleteSubtasks))
    await discard_objects(ctx.request.app.state.object_store, keys)
    return Response(status_code=204)


@router.put("/issue/{issue_ref}/assignee", status_code=204)
async def assign(issue_ref: str, request: Request, ctx: Ctx) -> Response:
    """`{"name": "bob"}` (or accountId); null or {"name": null} unassigns; "-1" picks the project lead."""
    body = await json_body(request, required=False)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        user_id = await user_id_for(session, actor, body, field="assignee", automatic_id=project.lead_id)
        await check_update_issue(session, actor=actor, issue=issue, project=project,
                                 data=IssueUpdate(assignee_id=user_id))
    return Response(status_code=204)
