"""serverInfo, the session probe, myself, and users: get and search."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query

from tessera import __version__
from tessera.api.jira.people import find_user
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.jira_format.shapes import JIRA_VERSION, Links, jira_time, truthy, user_json
from tessera.tenancy.directory import search_users
from tessera.tenancy.service import access_user

router = APIRouter()
session_router = APIRouter()
applinks_router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Text = Annotated[str | None, Query(max_length=320)]
MAX_USERS = 1000


@router.get("/serverInfo")
async def server_info(ctx: Ctx) -> dict:
    """Anonymous, as in Jira: the client reads it before authenticating. `Server` selects the
    `jira` client's Jira Server code paths (startAt paging, usernames)."""
    return {"baseUrl": ctx.settings.base_url, "version": ".".join(map(str, JIRA_VERSION)),
            "versionNumbers": list(JIRA_VERSION), "deploymentType": "Server", "buildNumber": 912000,
            "buildDate": "2026-01-01T00:00:00.000+0000", "serverTime": jira_time(datetime.now(UTC)),
            "scmInfo": f"tessera-{__version__}", "serverTitle": "Tessera"}


@router.get("/myself")
async def myself(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        user = await access_user(session, actor, actor.user_id)
    view = user_json(Links(ctx.settings.base_url), user) or {}
    return {**view, "locale": "en_US", "groups": {"size": 0, "items": []},
            "applicationRoles": {"size": 1, "items": []}, "expand": "groups,applicationRoles"}


@session_router.get("/session")
async def current_session(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        user = await access_user(session, actor, actor.user_id)
    return {"self": f"{Links(ctx.settings.base_url).api}/user?username={quote(user.email, safe='')}",
            "name": user.email,
            "loginInfo": {"failedLoginCount": 0, "loginCount": 1}}


@router.get("/user")
async def get_user(ctx: Ctx, username: Text = None, key: Text = None, accountId: Text = None) -> dict:
    wanted = username or key or accountId
    if not wanted:
        raise InvalidInput("Give username, key or accountId.", field="username")
    async with ctx.transaction() as (session, actor):
        user = await find_user(session, actor, wanted)
    if user is None:
        raise NotFound(f"The user named '{wanted[:100]}' does not exist")
    return user_json(Links(ctx.settings.base_url), user) or {}


@router.get("/user/search")
@router.get("/user/assignable/search")
@router.get("/user/viewissue/search")
async def find_users(ctx: Ctx, username: Text = None, query: Text = None,
                     startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                     maxResults: Annotated[int, Query(ge=0, le=MAX_USERS)] = 50,
                     includeActive: Annotated[str | None, Query(max_length=10)] = None,
                     includeInactive: Annotated[str | None, Query(max_length=10)] = None) -> list[dict]:
    """A JSON array, as Jira Server answers: emails starting with the text or names containing it."""
    text = username if username is not None else query
    if text is None:
        raise InvalidInput("The username query parameter was not provided", field="username")
    async with ctx.transaction() as (session, actor):
        users = await search_users(session, actor.organization_id, text=text,
                                   include_active=truthy(includeActive, True),
                                   include_inactive=truthy(includeInactive, False),
                                   start_at=startAt, max_results=maxResults or 50)
    links = Links(ctx.settings.base_url)
    return [view for user in users if (view := user_json(links, user))]


@applinks_router.get("/listApplicationlinks")
async def application_links(ctx: Ctx) -> dict:
    """No linked applications (the `jira` client asks before adding remote links)."""
    async with ctx.transaction():
        pass
    return {"list": []}
