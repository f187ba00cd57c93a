"""/v2/issues/{issue_id}/comments: threaded Markdown comments with mentions, edit history and
role-restricted visibility; and the mention autocomplete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.rest.errors import VERSION_DOC
from tessera.api.rest.preconditions import parse_if_match
from tessera.api.rest.responses.collaboration import CommentHistoryOut, CommentOut, CommentPageOut, MentionableOut
from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import CommentCreate, CommentUpdate
from tessera.edge.context import RequestContext, request_context
from tessera.edge.idempotency import IDEMPOTENCY_DOC, Idempotency
from tessera.errors import InvalidInput
from tessera.issues.comments.mention_search import MAX_SUGGESTIONS, mentionable_users
from tessera.issues.comments.models import Comment
from tessera.issues.comments.service import (
    access_comment,
    check_add_comment,
    check_delete_comment,
    check_edit_comment,
    comment_history,
    list_comments,
)
from tessera.issues.comments.views import render_comments, render_history
from tessera.issues.service import access_issue
from tessera.tenancy.actor import Actor

router = APIRouter(prefix="/v2", tags=["comments"])
Ctx = Annotated[RequestContext, Depends(request_context)]


def _newest_first(order_by: str) -> bool:
    """`+created` arrives as " created" when the client did not encode the plus."""
    wanted = order_by.strip().lstrip("+").lower()
    if wanted not in ("created", "-created"):
        raise InvalidInput("order_by is created or -created.", field="order_by")
    return wanted == "-created"


def comment_etag(comment_id: int, version: int) -> str:
    return f'W/"c{comment_id}-{version}"'


async def _committed_response(ctx: RequestContext, actor: Actor, comment: Comment, *, status_code: int = 200,
                              within: AsyncSession | None = None) -> JSONResponse:
    """Rendered once the change has committed, as issues are, so the write transaction (and its
    locks) ends first; the comment's columns are already loaded, only mentions and authors are read.
    `within`: the change's own transaction, when the response is stored with it (Idempotency-Key)."""
    async with ctx.read_after_commit(within) as session:
        [view] = await render_comments(session, actor.organization_id, [comment], base_url=ctx.settings.base_url)
    return JSONResponse(view, status_code=status_code, headers={"ETag": comment_etag(comment.id, comment.version)})


@router.post("/issues/{issue_id}/comments", status_code=201, responses={**ok(CommentOut, 201), **IDEMPOTENCY_DOC})
async def add_comment(issue_id: str, body: CommentCreate, ctx: Ctx, idempotency: Idempotency) -> JSONResponse:
    async with ctx.transaction() as (session, actor):
        await idempotency.claim(session, actor)
        issue, project = await access_issue(session, actor, issue_id)
        comment = await check_add_comment(
            session, actor=actor, issue=issue, project=project, body=body.body, parent_id=body.parent_id,
            visibility=body.visibility.model_dump() if body.visibility else None)
        if idempotency.held:
            return await idempotency.store(session, actor, await _created_response(ctx, actor, comment, session))
    return await _created_response(ctx, actor, comment)


async def _created_response(ctx: RequestContext, actor: Actor, comment: Comment,
                            within: AsyncSession | None = None) -> JSONResponse:
    response = await _committed_response(ctx, actor, comment, status_code=201, within=within)
    response.headers["Location"] = f"/v2/issues/{comment.issue_id}/comments/{comment.id}"
    return response


@router.get("/issues/{issue_id}/comments", responses=ok(CommentPageOut))
async def get_comments(issue_id: str, ctx: Ctx,
                       start_at: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                       max_results: Annotated[int, Query(ge=1, le=200)] = 50,
                       order_by: Annotated[str, Query(max_length=20, description="created (oldest first) or "
                                                                                  "-created")] = "created") -> dict:
    newest_first = _newest_first(order_by)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        comments, total = await list_comments(session, actor=actor, issue=issue, project=project, start_at=start_at,
                                              max_results=max_results, newest_first=newest_first)
        views = await render_comments(session, actor.organization_id, comments, base_url=ctx.settings.base_url)
    return {"issue_id": issue.id, "start_at": start_at, "max_results": max_results, "total": total,
            "order_by": "-created" if newest_first else "created", "comments": views}


@router.get("/issues/{issue_id}/comments/{comment_id}", responses=ok(CommentOut))
async def get_comment(issue_id: str, comment_id: str, ctx: Ctx) -> JSONResponse:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        comment = await access_comment(session, actor, issue, project, comment_id)
        [view] = await render_comments(session, actor.organization_id, [comment], base_url=ctx.settings.base_url)
    return JSONResponse(view, headers={"ETag": comment_etag(comment.id, comment.version)})


@router.put("/issues/{issue_id}/comments/{comment_id}", responses={**ok(CommentOut), **VERSION_DOC})
async def edit_comment(issue_id: str, comment_id: str, body: CommentUpdate, ctx: Ctx,
                       if_match: Annotated[str | None, Header(max_length=100)] = None) -> JSONResponse:
    expected = parse_if_match(if_match) if if_match is not None else body.version
    changes: dict = {"body": body.body}
    if "visibility" in body.model_fields_set:
        changes["visibility"] = body.visibility.model_dump() if body.visibility else None
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        comment = await access_comment(session, actor, issue, project, comment_id)
        comment = await check_edit_comment(session, actor=actor, issue=issue, project=project, comment=comment,
                                           expected_version=expected, via_if_match=if_match is not None, **changes)
    return await _committed_response(ctx, actor, comment)


@router.delete("/issues/{issue_id}/comments/{comment_id}", status_code=204)
async def delete_comment(issue_id: str, comment_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        comment = await access_comment(session, actor, issue, project, comment_id)
        await check_delete_comment(session, actor=actor, issue=issue, project=project, comment=comment)
    return Response(status_code=204)


@router.get("/issues/{issue_id}/comments/{comment_id}/history", responses=ok(CommentHistoryOut))
async def get_comment_history(issue_id: str, comment_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        comment = await access_comment(session, actor, issue, project, comment_id)
        revisions = await comment_history(session, comment=comment)
        return await render_history(session, actor.organization_id, comment, revisions)


@router.get("/issues/{issue_id}/mentionable", responses=ok(MentionableOut))
async def get_mentionable(issue_id: str, ctx: Ctx,
                          query: Annotated[str, Query(max_length=100)] = "",
                          max_results: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = MAX_SUGGESTIONS) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        users = await mentionable_users(session, actor=actor, issue=issue, project=project, query=query, limit=max_results)
    return {"issue_id": issue.id, "users": users}
