"""/rest/api/2/issue/{issue}/comment: list (paged, orderBy), add, get, edit, delete. Visibility
is Jira's `{"type": "role", "value": "Developers"}` (project roles; groups are refused)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.bodies import json_object
from tessera.api.jira.dialect import comment_body_from, is_cloud, links_for
from tessera.edge.context import RequestContext, request_context
from tessera.edge.idempotency import IDEMPOTENCY_DOC, Idempotency
from tessera.errors import InvalidInput
from tessera.issues.comments.models import Comment
from tessera.issues.comments.service import (
    access_comment,
    check_add_comment,
    check_delete_comment,
    check_edit_comment,
    list_comments,
)
from tessera.issues.service import access_issue
from tessera.jira_format.issue_json import comment_json
from tessera.tenancy.service import users_by_id

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Expand = Annotated[str | None, Query(max_length=200)]


async def _render(ctx: RequestContext, comments: list[Comment], *, expand: str | None = None,
                  within: AsyncSession | None = None) -> list[dict]:
    async with ctx.read_after_commit(within) as session:
        users = await users_by_id(session, comments[0].organization_id,
                                  {c.author_id for c in comments if c.author_id}) if comments else {}
    links = links_for(ctx)
    rendered = "renderedbody" in (expand or "").lower()
    return [comment_json(links, c, users, rendered=rendered) for c in comments]


def _visibility(body: dict) -> dict | None:
    visibility = body.get("visibility")
    if visibility is not None and not isinstance(visibility, dict):
        raise InvalidInput("'visibility' is {\"type\": \"role\", \"value\": \"<project role>\"}.", field="visibility")
    return visibility


@router.get("/issue/{issue_ref}/comment")
async def get_comments(issue_ref: str, ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                       maxResults: Annotated[int, Query(ge=0, le=5000)] = 5000,
                       orderBy: Annotated[str | None, Query(max_length=20)] = None, expand: Expand = None) -> dict:
    order = (orderBy or "created").strip().lstrip("+").lower()
    if order not in ("created", "-created"):
        raise InvalidInput("orderBy is created, +created or -created.", field="orderBy")
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        comments, total = await list_comments(session, actor=actor, issue=issue, project=project, start_at=startAt,
                                              max_results=maxResults, newest_first=order == "-created")
    visible = [c for c in comments if c.deleted_at is None]  # thread tombstones: Jira has no threads
    return {"startAt": startAt, "maxResults": maxResults, "total": total,
            "comments": await _render(ctx, visible, expand=expand)}


@router.post("/issue/{issue_ref}/comment", status_code=201, responses=IDEMPOTENCY_DOC)
async def add_comment(issue_ref: str, request: Request, ctx: Ctx, idempotency: Idempotency,
                      expand: Expand = None) -> JSONResponse:
    body = comment_body_from(await json_object(request), cloud=is_cloud(ctx))
    async with ctx.transaction() as (session, actor):
        await idempotency.claim(session, actor)
        issue, project = await access_issue(session, actor, issue_ref)
        comment = await check_add_comment(session, actor=actor, issue=issue, project=project, body=body.get("body"),
                                          visibility=_visibility(body))
        if idempotency.held:
            [view] = await _render(ctx, [comment], expand=expand, within=session)
            return await idempotency.store(session, actor, JSONResponse(view, status_code=201))
    [view] = await _render(ctx, [comment], expand=expand)
    return JSONResponse(view, status_code=201)


@router.get("/issue/{issue_ref}/comment/{comment_id}")
async def get_comment(issue_ref: str, comment_id: str, ctx: Ctx, expand: Expand = None) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        comment = await access_comment(session, actor, issue, project, comment_id)
    [view] = await _render(ctx, [comment], expand=expand)
    return view


@router.put("/issue/{issue_ref}/comment/{comment_id}")
async def edit_comment(issue_ref: str, comment_id: str, request: Request, ctx: Ctx, expand: Expand = None) -> dict:
    body = comment_body_from(await json_object(request), cloud=is_cloud(ctx))
    changes: dict = {"body": body.get("body")}
    if "visibility" in body:
        changes["visibility"] = _visibility(body)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        comment = await access_comment(session, actor, issue, project, comment_id)
        comment = await check_edit_comment(session, actor=actor, issue=issue, project=project, comment=comment,
                                           **changes)
    [view] = await _render(ctx, [comment], expand=expand)
    return view


@router.delete("/issue/{issue_ref}/comment/{comment_id}", status_code=204)
async def delete_comment(issue_ref: str, comment_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        comment = await access_comment(session, actor, issue, project, comment_id)
        await check_delete_comment(session, actor=actor, issue=issue, project=project, comment=comment)
    return Response(status_code=204)
