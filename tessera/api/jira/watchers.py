"""/rest/api/2/issue/{issue}/watchers and /votes.

Adding a watcher: the body is a bare JSON string naming the user (`"bob"`; Tessera: an email or
an accountId), or empty for yourself. Removing: `?username=` or `?accountId=`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from tessera.api.jira.bodies import json_body
from tessera.api.jira.people import user_id_for
from tessera.api.jira.shapes import Links, user_json
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput
from tessera.issues.service import access_issue
from tessera.issues.watchers.service import (
    check_unvote,
    check_unwatch,
    check_vote,
    check_watch,
    votes_view,
    watchers_view,
)

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Login = Annotated[str | None, Query(max_length=320)]


@router.get("/issue/{issue_ref}/watchers")
async def get_watchers(issue_ref: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        view = await watchers_view(session, actor=actor, issue=issue)
    links = Links(ctx.settings.base_url)
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
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        view = await votes_view(session, actor=actor, issue=issue)
    links = Links(ctx.settings.base_url)
    return {"self": f"{links.api}/issue/{issue.key}/votes", "votes": view["votes"], "hasVoted": view["has_voted"],
            "voters": [user_json(links, u) for u in view["voters"]]}


@router.post("/issue/{issue_ref}/votes", status_code=204)
async def add_vote(issue_ref: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        await check_vote(session, actor=actor, issue=issue)
    return Response(status_code=204)


@router.delete("/issue/{issue_ref}/votes", status_code=204)
async def remove_vote(issue_ref: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        await check_unvote(session, actor=actor, issue=issue)
    return Response(status_code=204)
