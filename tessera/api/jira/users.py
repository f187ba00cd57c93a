"""serverInfo, the session probe, myself, and users: get and search."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response

from tessera import __version__
from tessera.api.jira.dialect import is_cloud, links_for
from tessera.api.jira.people import find_user
from tessera.db.refs import parse_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.issues.audience import users_holding
from tessera.issues.service import access_issue
from tessera.jira_format.shapes import AVATAR_SIZES, JIRA_VERSION, jira_time, page_bean, split_values, truthy, user_json
from tessera.projects.service import access_project
from tessera.tenancy.avatars import initials_svg
from tessera.tenancy.directory import search_users
from tessera.tenancy.models import User
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.service import access_user, users_by_id

router = APIRouter()
session_router = APIRouter()
applinks_router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Text = Annotated[str | None, Query(max_length=320)]
MAX_USERS = 1000
MAX_BULK_USERS = 200
AVATAR_PIXELS = {**{size: int(size.split('x')[0]) for size in AVATAR_SIZES},
                 **{size.split('x')[0]: int(size.split('x')[0]) for size in AVATAR_SIZES}}
CLOUD_VERSION = (1001, 0, 0)  # what Jira Cloud's serverInfo answers


@router.get("/serverInfo")
async def server_info(ctx: Ctx) -> dict:
    """Anonymous, as in Jira: the client reads it before authenticating. `Server` selects the
    `jira` client's Jira Server code paths (startAt paging, usernames); `Cloud` (on /rest/api/3)
    its Cloud ones (accountIds, the enhanced search with nextPageToken)."""
    version = CLOUD_VERSION if is_cloud(ctx) else JIRA_VERSION
    return {"baseUrl": ctx.settings.base_url, "version": ".".join(map(str, version)),
            "versionNumbers": list(version), "deploymentType": "Cloud" if is_cloud(ctx) else "Server",
            "buildNumber": 100_000 if is_cloud(ctx) else 912000,
            "buildDate": "2026-01-01T00:00:00.000+0000", "serverTime": jira_time(datetime.now(UTC)),
            "scmInfo": f"tessera-{__version__}", "serverTitle": "Tessera"}


@router.get("/myself")
async def myself(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        user = await access_user(session, actor, actor.user_id)
    view = user_json(links_for(ctx), user) or {}
    return {**view, "locale": "en_US", "groups": {"size": 0, "items": []},
            "applicationRoles": {"size": 1, "items": []}, "expand": "groups,applicationRoles"}


@session_router.get("/session")
async def current_session(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        user = await access_user(session, actor, actor.user_id)
    return {"self": f"{links_for(ctx).api}/user?username={quote(user.email, safe='')}",
            "name": user.email,
            "loginInfo": {"failedLoginCount": 0, "loginCount": 1}}


@router.get("/user")
async def get_user(ctx: Ctx, username: Text = None, key: Text = None, accountId: Text = None) -> dict:
    return user_json(links_for(ctx), await _named_user(ctx, username or key or accountId, field="username")) or {}


async def _named_user(ctx: RequestContext, wanted: str | None, *, field: str) -> User:
    """The user a query parameter names (email or accountId); 404 for anyone outside the caller's
    organization, as for nobody."""
    if not wanted:
        raise InvalidInput("Give username, key or accountId.", field=field)
    async with ctx.transaction() as (session, actor):
        user = await find_user(session, actor, wanted)
    if user is None:
        raise NotFound(f"The user named '{wanted[:100]}' does not exist")
    return user


@router.get("/user/search")
@router.get("/user/viewissue/search")
async def find_users(ctx: Ctx, username: Text = None, query: Text = None, accountId: Text = None,
                     startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                     maxResults: Annotated[int, Query(ge=0, le=MAX_USERS)] = 50,
                     includeActive: Annotated[str | None, Query(max_length=10)] = None,
                     includeInactive: Annotated[str | None, Query(max_length=10)] = None) -> list[dict]:
    """A JSON array, as Jira answers: emails starting with the text or names containing it (or,
    Cloud's form, the one user of `accountId`)."""
    text = username if username is not None else query
    if text is None and accountId:
        async with ctx.transaction() as (session, actor):
            user = await find_user(session, actor, accountId)
        return [view for view in [user_json(links_for(ctx), user)] if view]
    if text is None:
        raise InvalidInput("The username query parameter was not provided", field="username")
    return await _search(ctx, text, start_at=startAt, max_results=maxResults,
                         include_active=truthy(includeActive, True), include_inactive=truthy(includeInactive, False))


@router.get("/users/search")
async def every_user(ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                     maxResults: Annotated[int, Query(ge=0, le=MAX_USERS)] = 50) -> list[dict]:
    """Jira Cloud's list of all users, active and inactive, a page at a time (migration tools
    read the directory this way)."""
    return await _search(ctx, "", start_at=startAt, max_results=maxResults, include_inactive=True)


async def _search(ctx: RequestContext, text: str, *, start_at: int, max_results: int, include_active: bool = True,
                  include_inactive: bool = False, projects: tuple[str, ...] = (), issue_ref: str | None = None
                  ) -> list[dict]:
    """Users matching `text`; with `projects` or `issue_ref`, only those assignable there (who hold
    Assignable User in each of them)."""
    account = parse_id(text) if is_cloud(ctx) and start_at == 0 else None
    async with ctx.transaction() as (session, actor):
        places = [await access_project(session, actor, ref) for ref in projects]
        if issue_ref is not None:
            places.append((await access_issue(session, actor, issue_ref))[1])
        if not places:  # assignable users are listed by those who may browse the project; others need Browse Users
            await authorize(session, actor, Permission.USER_PICKER)
        only = [users_holding(Permission.ASSIGNABLE_USER, place) for place in places]
        users = list(await search_users(session, actor.organization_id, text=text, include_active=include_active,
                                        include_inactive=include_inactive, start_at=start_at,
                                        max_results=max_results or 50, only=only))
        if account is not None and not places:  # Cloud scripts (the `jira` client) look an accountId up this way
            exact = [u for u in (await users_by_id(session, actor.organization_id, {account})).values() if u.active]
            users = (exact + [u for u in users if u.id != account])[:max_results or 50]
    links = links_for(ctx)
    return [view for user in users if (view := user_json(links, user))]


@router.get("/user/assignable/search")
async def assignable_users(ctx: Ctx, project: Text = None, issueKey: Text = None, username: Text = None,
                           query: Text = None, accountId: Text = None,
                           startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                           maxResults: Annotated[int, Query(ge=0, le=MAX_USERS)] = 50) -> list[dict]:
    """Who may be assigned issues of `project` (or `issueKey`'s project), matching `username` or
    `query` when given: with only the project, every assignable user, as in Jira."""
    if project is None and issueKey is None:
        raise InvalidInput("Either the project or the issueKey parameter is required.", field="project")
    text = username if username is not None else query if query is not None else accountId or ""
    return await _search(ctx, text, start_at=startAt, max_results=maxResults,
                         projects=(project,) if project is not None else (), issue_ref=issueKey)


@router.get("/user/assignable/multiProjectSearch")
async def assignable_in_projects(ctx: Ctx, projectKeys: Annotated[str, Query(max_length=2000)],
                                 username: Text = None, query: Text = None,
                                 startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                                 maxResults: Annotated[int, Query(ge=0, le=MAX_USERS)] = 50) -> list[dict]:
    """Users assignable in every one of `projectKeys` (comma-separated)."""
    keys = tuple(dict.fromkeys(split_values(projectKeys)))
    if not keys or len(keys) > 50:
        raise InvalidInput("projectKeys names 1 to 50 projects.", field="projectKeys")
    text = username if username is not None else query or ""
    return await _search(ctx, text, start_at=startAt, max_results=maxResults, projects=keys)


@router.get("/user/bulk")
async def users_in_bulk(ctx: Ctx, accountId: Annotated[list[str], Query(max_length=MAX_BULK_USERS)],
                        startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                        maxResults: Annotated[int, Query(ge=1, le=MAX_BULK_USERS)] = 10) -> dict:
    """Jira Cloud's `GET /user/bulk?accountId=…&accountId=…`: the users named, in a PageBean.
    Ids of no user of the organization are left out, as Jira leaves out unknown accounts."""
    ids = list(dict.fromkeys(number for ref in accountId if (number := parse_id(ref)) is not None))
    async with ctx.transaction() as (session, actor):
        found = await users_by_id(session, actor.organization_id, set(ids))
    known = [found[i] for i in ids if i in found]
    links = links_for(ctx)
    values = [user_json(links, user) for user in known[startAt:startAt + maxResults]]
    return page_bean(values, start_at=startAt, max_results=maxResults, total=len(known), url=str(ctx.request.url))


@router.get("/useravatar")
async def user_avatar(ctx: Ctx, accountId: Text = None, username: Text = None,  # noqa: N803 (Jira's names)
                      size: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """The avatar every user's `avatarUrls` name: their initials, at one of Jira's sizes
    (48x48, 32x32, 24x24, 16x16; "48" alone too). Users of other organizations are not found."""
    pixels = AVATAR_PIXELS.get((size or "48x48").strip().lower())
    if pixels is None:
        raise InvalidInput(f"size is one of {', '.join(AVATAR_SIZES)}.", field="size")
    user = await _named_user(ctx, accountId or username, field="accountId")
    return Response(initials_svg(user.display_name, pixels), media_type="image/svg+xml",
                    headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'",
                             "Cache-Control": "private, max-age=3600"})


@applinks_router.get("/listApplicationlinks")
async def application_links(ctx: Ctx) -> dict:
    """No linked applications (the `jira` client asks before adding remote links)."""
    async with ctx.transaction():
        pass
    return {"list": []}
