"""/v2/issues/{issue_id}/watch, /watchers, /vote and /votes. Changes answer with the new state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tessera.api.rest.responses.collaboration import VotesOut, WatchersOut
from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import WatcherBody
from tessera.edge.context import RequestContext, request_context
from tessera.issues.service import access_issue
from tessera.issues.watchers.service import (
    check_unvote,
    check_unwatch,
    check_vote,
    check_watch,
    votes_view,
    watchers_view,
)

router = APIRouter(prefix="/v2", tags=["watchers and votes"])
Ctx = Annotated[RequestContext, Depends(request_context)]
UserRef = Annotated[str | None, Query(max_length=40, description="Another user (administrators only).")]


@router.get("/issues/{issue_id}/watchers", responses=ok(WatchersOut))
async def get_watchers(issue_id: str, ctx: Ctx) -> dict:
    return await _watchers_after(issue_id, ctx)


@router.put("/issues/{issue_id}/watch", responses=ok(WatchersOut))
async def watch_issue(issue_id: str, ctx: Ctx, body: WatcherBody | None = None) -> dict:
    return await _watchers_after(issue_id, ctx, check_watch, user_ref=body.user_id if body else None)


@router.delete("/issues/{issue_id}/watch", responses=ok(WatchersOut))
async def unwatch_issue(issue_id: str, ctx: Ctx, user_id: UserRef = None) -> dict:
    return await _watchers_after(issue_id, ctx, check_unwatch, user_ref=user_id)


@router.get("/issues/{issue_id}/votes", responses=ok(VotesOut))
async def get_votes(issue_id: str, ctx: Ctx) -> dict:
    return await _votes_after(issue_id, ctx)


@router.put("/issues/{issue_id}/vote", responses=ok(VotesOut))
async def vote_issue(issue_id: str, ctx: Ctx) -> dict:
    return await _votes_after(issue_id, ctx, check_vote)


@router.delete("/issues/{issue_id}/vote", responses=ok(VotesOut))
async def unvote_issue(issue_id: str, ctx: Ctx) -> dict:
    return await _votes_after(issue_id, ctx, check_unvote)


async def _watchers_after(issue_id: str, ctx: Ctx, change: Callable[..., Awaitable[None]] | None = None, *,
                          user_ref: object = None) -> dict:
    """The watchers as they stand after `change` (check_watch or check_unwatch), in its transaction."""
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        if change is not None:
            await change(session, actor=actor, issue=issue, project=project, user_ref=user_ref)
        return await watchers_view(session, actor=actor, issue=issue)


async def _votes_after(issue_id: str, ctx: Ctx, change: Callable[..., Awaitable[None]] | None = None) -> dict:
    """The votes as they stand after `change` (check_vote or check_unvote), in its transaction."""
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_id)
        if change is not None:
            await change(session, actor=actor, issue=issue)
        return await votes_view(session, actor=actor, issue=issue)
