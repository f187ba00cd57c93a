"""/rest/api/2/filter: create, get, update, delete, favourites (`/filter/favourite`, PUT/DELETE
`/filter/{id}/favourite`) and `/filter/search`. Shares map onto Tessera's: `global` and
`loggedin` → the organization, `project`, `projectRole`, `group`, `user`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.bodies import as_bool, as_text, json_object, ref_of
from tessera.api.jira.dialect import links_for
from tessera.api.jira.people import user_id_for
from tessera.db.refs import parse_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.jira_format.shapes import Links, page, project_json, user_json
from tessera.jql.filters import (
    FilterDetails,
    ShareTarget,
    access_filter,
    check_create_filter,
    check_delete_filter,
    check_update_filter,
    describe_filters,
    do_set_favourite,
    list_filters,
)
from tessera.tenancy.actor import Actor

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


def _share_json(links: Links, share: ShareTarget, index: int) -> dict[str, Any]:
    view: dict[str, Any] = {"id": index + 1, "type": {"organization": "global", "project_role": "projectRole"}.get(
        share.share_type, share.share_type)}
    if share.project is not None:
        view["project"] = project_json(links, share.project.id, share.project.key, share.project.name)
    if share.role is not None:
        view["role"] = {"name": share.role.title(), "id": share.role}
    if share.group is not None:
        view["group"] = {"name": share.group.name}
    if share.user is not None:
        view["user"] = user_json(links, share.user)
    return view


def filter_json(links: Links, details: FilterDetails) -> dict[str, Any]:
    saved = details.saved
    return {"self": f"{links.api}/filter/{saved.id}", "id": str(saved.id), "name": saved.name,
            "description": saved.description, "owner": user_json(links, details.owner), "jql": saved.jql,
            "viewUrl": f"{links.base_url}/issues/?filter={saved.id}",
            "searchUrl": f"{links.api}/search?jql={quote(saved.jql)}", "favourite": details.favourite,
            "favouritedCount": details.favourite_count,
            "sharePermissions": [_share_json(links, s, i) for i, s in enumerate(details.shares)],
            "sharedUsers": {"size": 0, "items": [], "max-results": 1000, "start-index": 0, "end-index": 0},
            "subscriptions": {"size": 0, "items": [], "max-results": 1000, "start-index": 0, "end-index": 0}}


async def _shares(session: AsyncSession, actor: Actor, value: object) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidInput("'sharePermissions' is a list.", field="sharePermissions")
    specs = []
    for item in value:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind in ("global", "loggedin", "authenticated"):
            specs.append({"type": "organization"})
        elif kind in ("project", "projectRole"):
            spec = {"type": "project" if kind == "project" else "project_role",
                    "project_id": ref_of(item.get("project"), "id", "key")}
            if kind == "projectRole":
                spec["role"] = str(ref_of(item.get("role"), "name", "id") or "").lower()
            specs.append(spec)
        elif kind == "group":
            specs.append({"type": "group", "group": ref_of(item.get("group"), "name")})
        elif kind == "user":
            specs.append({"type": "user", "user_id": await user_id_for(session, actor, item.get("user"),
                                                                       field="sharePermissions")})
        else:
            raise InvalidInput("A share's type is global, loggedin, project, projectRole, group or user.",
                               field="sharePermissions")
    return specs


async def _filter(session: AsyncSession, actor: Actor, ref: str) -> Any:
    filter_id = parse_id(ref)
    if filter_id is None:
        raise NotFound("The selected filter is not available to you, perhaps it has been deleted or had its "
                       "permissions changed.")
    return await access_filter(session, actor, filter_id)


async def _details(session: AsyncSession, actor: Actor, saved: Any, links: Links) -> dict[str, Any]:
    [details] = await describe_filters(session, actor, [saved])
    return filter_json(links, details)


@router.post("/filter")
async def create_filter(request: Request, ctx: Ctx) -> dict:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        saved = await check_create_filter(session, actor=actor, name=as_text(body, "name") or "",
                                          jql=as_text(body, "jql") or "", description=as_text(body, "description") or "",
                                          shares=await _shares(session, actor, body.get("sharePermissions")) or [],
                                          favourite=as_bool(body.get("favourite"), field="favourite") is True)
        return await _details(session, actor, saved, links_for(ctx))


@router.get("/filter/favourite")
async def favourite_filters(ctx: Ctx) -> list[dict]:
    return await _all_filters(ctx, favourite=True)


@router.get("/filter/my")
async def my_filters(ctx: Ctx) -> list[dict]:
    return await _all_filters(ctx, mine=True)


async def _all_filters(ctx: Ctx, *, favourite: bool | None = None, mine: bool = False) -> list[dict]:
    """Jira answers these lists whole (no paging); a thousand is past any real account."""
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        filters, _ = await list_filters(session, actor, favourite=favourite, mine=mine, max_results=1000)
        return [filter_json(links, d) for d in await describe_filters(session, actor, filters)]


@router.get("/filter/search")
async def search_filters(ctx: Ctx, filterName: Annotated[str | None, Query(max_length=255)] = None,
                         startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                         maxResults: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict:
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        filters, total = await list_filters(session, actor, query=filterName, start_at=startAt,
                                            max_results=maxResults)
        values = [filter_json(links, d) for d in await describe_filters(session, actor, filters)]
    return page(values, start_at=startAt, max_results=maxResults, total=total)


@router.get("/filter/{filter_id}")
async def get_filter(filter_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return await _details(session, actor, await _filter(session, actor, filter_id), links_for(ctx))


@router.put("/filter/{filter_id}")
async def update_filter(filter_id: str, request: Request, ctx: Ctx) -> dict:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        saved = await _filter(session, actor, filter_id)
        saved = await check_update_filter(session, actor=actor, saved=saved, name=as_text(body, "name"),
                                          jql=as_text(body, "jql"), description=as_text(body, "description"),
                                          shares=await _shares(session, actor, body.get("sharePermissions")))
        favourite = as_bool(body.get("favourite"), field="favourite")
        if favourite is not None:
            await do_set_favourite(session, actor=actor, saved=saved, favourite=favourite)
        return await _details(session, actor, saved, links_for(ctx))


@router.delete("/filter/{filter_id}", status_code=204)
async def delete_filter(filter_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        filter_ref = parse_id(filter_id)
        if filter_ref is None:
            raise NotFound("The filter does not exist.")
        saved = await access_filter(session, actor, filter_ref, to_delete=True)
        await check_delete_filter(session, actor=actor, saved=saved)
    return Response(status_code=204)


@router.put("/filter/{filter_id}/favourite")
@router.delete("/filter/{filter_id}/favourite")
async def set_favourite(filter_id: str, request: Request, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        saved = await _filter(session, actor, filter_id)
        await do_set_favourite(session, actor=actor, saved=saved, favourite=request.method == "PUT")
        return await _details(session, actor, saved, links_for(ctx))
