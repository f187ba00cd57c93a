"""/rest/api/2/issue/{issue}/watchers and /votes.

Adding a watcher: the body is a bare JSON string naming the user (`"bob"`; Tessera: an email or
an accountId), or empty for yourself. Removing: `?username=` or `?accountId=`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from tessera.api.jira.bodies import json_body
from tessera.api.jira.dialect import links_for
from tessera.api.jira.people import user_id_for
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput
from tessera.issues.models import Issue
from tessera.issues.service import access_issue
from tessera.issues.watchers.service import (
    check_unvote,
    check_unwatch,
    check_vote,
    check_watch,
    votes_view,
    watchers_view,
)
from tessera.jira_format.shapes import Links, user_json

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Login = Annotated[str | None, Query(max_length=320)]


@router.get("/issue/{issue_ref}/watchers")
async def get_watchers(issue_ref: str, ctx: Ctx) -> dict:
    issue, view, links = await _issue_view(issue_ref, ctx, watchers_view)
    return {"self": f"{links.api}/issue/{issue.key}/watchers", "isWatching": view["is_watching"],
            "watchCount": view["watch_count"], "watchers": [user_json(links, u) for u in view["watchers"]]}


@router.post("/issue/{issue_ref}/watchers", status_code=204)
async def add_watcher(issue_ref: str, request: Request, ctx: Ctx) -> Response:
    login = await json_body(request, required=False)
    if login is not None and not isinstance(login, str | int):
        raise InvalidInput("The body is the user's name as a JSON string, e.g. \"bob\".", field="username")
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        user_id = await user_id_for(session, actor, login, field="username") if login is not None else None
        await check_watch(session, actor=actor, issue=issue, project=project, user_ref=user_id)
    return Response(status_code=204)


@router.delete("/issue/{issue_ref}/watchers", status_code=204)
async def remove_watcher(issue_ref: str, ctx: Ctx, username: Login = None, accountId: Login = None) -> Response:
    login = username or accountId
    if not login:
        raise InvalidInput("Give username or accountId.", field="username")
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        user_id = await user_id_for(session, actor, login, field="username")
        await check_unwatch(session, actor=actor, issue=issue, project=project, user_ref=user_id)
    return Response(status_code=204)


@router.get("/issue/{issue_ref}/votes")
async def get_votes(issue_ref: str, ctx: Ctx) -> dict:
    issue, view, links = await _issue_view(issue_ref, ctx, votes_view)
    return {"self": f"{links.api}/issue/{issue.key}/votes", "votes": view["votes"], "hasVoted": view["has_voted"],
            "voters": [user_json(links, u) for u in view["voters"]]}


@router.post("/issue/{issue_ref}/votes", status_code=204)
async def add_vote(issue_ref: str, ctx: Ctx) -> Response:
    return await _change_vote(issue_ref, ctx, check_vote)


@router.delete("/issue/{issue_ref}/votes", status_code=204)
async def remove_vote(issue_ref: str, ctx: Ctx) -> Response:
    return await _change_vote(issue_ref, ctx, check_unvote)


async def _issue_view(issue_ref: str, ctx: Ctx, view: Callable[..., Awaitable[dict]]) -> tuple[Issue, dict, Links]:
    """The issue and its watchers_view or votes_view, read in one transaction."""
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        found = await view(session, actor=actor, issue=issue)
    return issue, found, links_for(ctx)


async def _change_vote(issue_ref: str, ctx: Ctx, change: Callable[..., Awaitable[None]]) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        await change(session, actor=actor, issue=issue)
    return Response(status_code=204)
