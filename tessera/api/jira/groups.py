"""/rest/api/2/group (create, get, delete), /group/member, /group/user (add, remove) and
/groups/picker. Groups are named by `groupname` as in Jira Server (Cloud's `groupId` is the
same name here)."""

from __future__ import annotations

import re
from html import escape
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from tessera.api.jira.bodies import as_text, json_object
from tessera.api.jira.dialect import links_for
from tessera.api.jira.people import find_user
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.jira_format.shapes import Links, page_bean, split_values, truthy, user_json
from tessera.tenancy.groups import (
    check_add_member,
    check_create_group,
    check_delete_group,
    check_remove_member,
    find_group,
    group_members,
    pick_groups,
)
from tessera.tenancy.models import Group

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Name = Annotated[str | None, Query(max_length=255)]
MEMBERS_SHOWN = 50
MAX_PICKED = 1000
USERS_RANGE = re.compile(r"users(?:\[(?P<first>[0-9]{1,7}):(?P<last>[0-9]{1,7})\])?")


def _name(groupname: str | None, groupId: str | None = None) -> str:  # noqa: N803 (Jira's names)
    name = groupname if groupname is not None else groupId
    if name is None or not name.strip():
        raise InvalidInput("The groupname query parameter was not provided.", field="groupname")
    return name


async def _group_json(session: Any, links: Links, group: Group, *, users: tuple[int, int] | None) -> dict:
    """`users`: the (first, last) member indexes to list, as `expand=users[first:last]` asks."""
    first, last = users or (0, -1)
    listed, total = await group_members(session, group, start_at=first, max_results=max(last - first + 1, 0))
    return {"name": group.name, "groupId": group.name,
            "self": f"{links.api}/group?groupname={quote(group.name, safe='')}",
            "users": {"size": total, "items": [user_json(links, user) for user in listed],
                      "max-results": MEMBERS_SHOWN, "start-index": first,
                      "end-index": first + max(len(listed) - 1, 0)},
            "expand": "users"}


def _users_range(expand: str | None) -> tuple[int, int] | None:
    """`users` (the first MEMBERS_SHOWN) or `users[first:last]` in `expand`; None without users."""
    for part in split_values(expand):
        found = USERS_RANGE.fullmatch(part)
        if found:
            first = int(found["first"] or 0)
            last = int(found["last"]) if found["last"] else first + MEMBERS_SHOWN - 1
            return first, min(last, first + MEMBERS_SHOWN - 1)
    return None


@router.get("/group")
async def get_group(ctx: Ctx, groupname: Name = None, groupId: Name = None,  # noqa: N803
                    expand: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    name = _name(groupname, groupId)
    async with ctx.transaction() as (session, actor):
        group = await find_group(session, actor, name)
        return await _group_json(session, links_for(ctx), group, users=_users_range(expand))


@router.post("/group", status_code=201)
async def create_group(request: Request, ctx: Ctx) -> JSONResponse:
    body = await json_object(request)
    name = as_text(body, "name", required=True, message="You must specify a group name.") or ""
    async with ctx.transaction() as (session, actor):
        group = await check_create_group(session, actor=actor, name=name)
        view = await _group_json(session, links_for(ctx), group, users=None)
    return JSONResponse(view, status_code=201)


@router.delete("/group")
async def delete_group(ctx: Ctx, groupname: Name = None, groupId: Name = None,  # noqa: N803
                       swapGroup: Name = None) -> Response:  # noqa: N803
    """`swapGroup` (Jira moves restrictions to it) is accepted: no comment or worklog is restricted
    to a group in Tessera, so there is nothing to move."""
    name = _name(groupname, groupId)
    async with ctx.transaction() as (session, actor):
        await check_delete_group(session, actor=actor, group=await find_group(session, actor, name))
    return Response(status_code=200)


@router.get("/group/member")
async def members(ctx: Ctx, groupname: Name = None, groupId: Name = None,  # noqa: N803
                  includeInactiveUsers: Annotated[str | None, Query(max_length=10)] = None,  # noqa: N803
                  startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # noqa: N803
                  maxResults: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict:  # noqa: N803
    name = _name(groupname, groupId)
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        group = await find_group(session, actor, name)
        users, total = await group_members(session, group, include_inactive=truthy(includeInactiveUsers),
                                           start_at=startAt, max_results=maxResults)
    return page_bean([user_json(links, user) for user in users], start_at=startAt, max_results=maxResults,
                     total=total, url=str(ctx.request.url))


@router.post("/group/user", status_code=201)
async def add_member(request: Request, ctx: Ctx, groupname: Name = None, groupId: Name = None) -> JSONResponse:  # noqa: N803
    """The body names the user: `{"name": ...}` (Server) or `{"accountId": ...}` (Cloud)."""
    name = _name(groupname, groupId)
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        group = await find_group(session, actor, name)
        user = await find_user(session, actor, body)
        if user is None:
            raise InvalidInput("The user does not exist.", field="name")
        await check_add_member(session, actor=actor, group=group, user=user)
        view = await _group_json(session, links_for(ctx), group, users=(0, MEMBERS_SHOWN - 1))
    return JSONResponse(view, status_code=201)


@router.delete("/group/user")
async def remove_member(ctx: Ctx, groupname: Name = None, groupId: Name = None,  # noqa: N803
                        username: Name = None, accountId: Name = None) -> Response:  # noqa: N803
    name = _name(groupname, groupId)
    login = username or accountId
    if not login:
        raise InvalidInput("The username query parameter was not provided.", field="username")
    async with ctx.transaction() as (session, actor):
        group = await find_group(session, actor, name)
        user = await find_user(session, actor, login)
        if user is None:
            raise NotFound(f"The user '{login[:100]}' does not exist.")
        await check_remove_member(session, actor=actor, group=group, user_id=user.id)
    return Response(status_code=200)


@router.get("/groups/picker")
async def groups_picker(ctx: Ctx, query: Name = None, exclude: Annotated[list[str] | None, Query(max_length=100)] = None,
                        maxResults: Annotated[int, Query(ge=1, le=1_000_000)] = 20,  # noqa: N803
                        userName: Name = None) -> dict:  # noqa: N803 (Jira's; labels only)
    """Jira's picker: the groups whose name contains `query`, with the match in bold in `html`.
    `maxResults` is capped at MAX_PICKED, as Jira caps it (the `jira` client asks for 9999)."""
    text = (query or "").strip()
    async with ctx.transaction() as (session, actor):
        groups, total = await pick_groups(session, actor, query=text, exclude=exclude or [],
                                          max_results=min(maxResults, MAX_PICKED))
    return {"header": f"Showing {len(groups)} of {total} matching groups", "total": total,
            "groups": [{"name": group.name, "html": _highlight(group.name, text), "labels": [],
                        "groupId": group.name} for group in groups]}


def _highlight(name: str, text: str) -> str:
    at = name.lower().find(text.lower()) if text else -1
    if at < 0:
        return escape(name)
    return f"{escape(name[:at])}<b>{escape(name[at:at + len(text)])}</b>{escape(name[at + len(text):])}"
