"""/v2/issues/{issue_id}/watch, /watchers, /vote and /votes. Changes answer with the new state."""

from __future__ import annotations

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
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_id)
        return await watchers_view(session, actor=actor, issue=issue)


@router.put("/issues/{issue_id}/watch", responses=ok(WatchersOut))
async def watch_issue(issue_id: str, ctx: Ctx, body: WatcherBody | None = None) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        await check_watch(session, actor=actor, issue=issue, project=project, user_ref=body.user_id if body else None)
        return await watchers_view(session, actor=actor, issue=issue)


@router.delete("/issues/{issue_id}/watch", responses=ok(WatchersOut))
async def unwatch_issue(issue_id: str, ctx: Ctx, user_id: UserRef = None) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        await check_unwatch(session, actor=actor, issue=issue, project=project, user_ref=user_id)
        return await watchers_view(session, actor=actor, issue=issue)


@router.get("/issues/{issue_id}/votes", responses=ok(VotesOut))
async def get_votes(issue_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_id)
        return await votes_view(session, actor=actor, issue=issue)


@router.put("/issues/{issue_id}/vote", responses=ok(VotesOut))
async def vote_issue(issue_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_id)
        await check_vote(session, actor=actor, issue=issue)
        return await votes_view(session, actor=actor, issue=issue)


@router.delete("/issues/{issue_id}/vote", responses=ok(VotesOut))
async def unvote_issue(issue_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_id)
        await check_unvote(session, actor=actor, issue=issue)
        return await votes_view(session, actor=actor, issue=issue)
