"""/v2/filters (saved JQL filters, shares, favourites) and /v2/jql/autocomplete."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.workflows import (
    AutocompleteDataOut,
    AutocompleteOut,
    FilterListOut,
    FilterOut,
    FilterPageOut,
)
from tessera.api.rest.schemas import Body, LongText, Name, Ref, StoredId
from tessera.edge.context import RequestContext, request_context
from tessera.issues.views import iso
from tessera.jql.autocomplete import autocomplete_data, suggest_fields, suggest_values
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

router = APIRouter(prefix="/v2", tags=["filters"])
Ctx = Annotated[RequestContext, Depends(request_context)]
Jql = Annotated[str, Field(max_length=20_000)]


class ShareIn(Body):
    type: Literal["organization", "project", "project_role", "group", "user"]
    project_id: Ref | None = None
    role: str | None = None
    group: str | None = None
    group_id: Ref | None = None
    user_id: Ref | None = None


class FilterCreate(Body):
    name: Name
    jql: Jql
    description: LongText = ""
    shares: list[ShareIn] = Field(default_factory=list, max_length=100)
    favourite: bool = False


class FilterUpdate(Body):
    name: Name | None = None
    jql: Jql | None = None
    description: LongText | None = None
    shares: list[ShareIn] | None = Field(default=None, max_length=100)
    version: int | None = None


def share_view(share: ShareTarget) -> dict[str, Any]:
    view: dict[str, Any] = {"type": share.share_type}
    if share.project is not None:
        view["project"] = {"id": share.project.id, "key": share.project.key, "name": share.project.name}
    if share.role is not None:
        view["role"] = share.role
    if share.group is not None:
        view["group"] = {"id": share.group.id, "name": share.group.name}
    if share.user is not None:
        view["user"] = {"id": share.user.id, "display_name": share.user.display_name}
    return view


def filter_view(details: FilterDetails, ctx: RequestContext) -> dict[str, Any]:
    saved, owner = details.saved, details.owner
    return {"id": saved.id, "name": saved.name, "description": saved.description, "jql": saved.jql,
            "owner": {"id": saved.owner_id, "display_name": owner.display_name if owner else None},
            "shares": [share_view(s) for s in details.shares], "favourite": details.favourite,
            "favourite_count": details.favourite_count, "version": saved.version,
            "created": iso(saved.created_at), "updated": iso(saved.updated_at),
            "view_url": f"{ctx.settings.base_url.rstrip('/')}/issues?filter={saved.id}"}


def _shares(items: list[ShareIn] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [item.model_dump(exclude_none=True) for item in items]


@router.get("/filters", responses=ok(FilterPageOut))
async def get_filters(ctx: Ctx, query: Annotated[str | None, Query(max_length=255)] = None,
                      owner: Annotated[Literal["me"] | None, Query()] = None, favourite: bool | None = None,
                      start_at: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                      max_results: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict:
    async with ctx.transaction() as (session, actor):
        filters, total = await list_filters(session, actor, query=query, mine=owner == "me", favourite=favourite,
                                            start_at=start_at, max_results=max_results)
        details = await describe_filters(session, actor, filters)
        return {"start_at": start_at, "max_results": max_results, "total": total,
                "filters": [filter_view(d, ctx) for d in details]}


@router.get("/filters/favourite", responses=ok(FilterListOut))
async def get_favourite_filters(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        filters, _ = await list_filters(session, actor, favourite=True, max_results=1000)
        return {"filters": [filter_view(d, ctx) for d in await describe_filters(session, actor, filters)]}


@router.post("/filters", status_code=201, responses=ok(FilterOut, 201))
async def create_filter(body: FilterCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        saved = await check_create_filter(session, actor=actor, name=body.name, jql=body.jql,
                                          description=body.description, shares=_shares(body.shares) or [],
                                          favourite=body.favourite)
        [details] = await describe_filters(session, actor, [saved])
        return filter_view(details, ctx)


@router.get("/filters/{filter_id}", responses=ok(FilterOut))
async def get_filter(filter_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        [details] = await describe_filters(session, actor, [await access_filter(session, actor, filter_id)])
        return filter_view(details, ctx)


@router.put("/filters/{filter_id}", responses=ok(FilterOut))
async def update_filter(filter_id: StoredId, body: FilterUpdate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        saved = await access_filter(session, actor, filter_id)
        saved = await check_update_filter(session, actor=actor, saved=saved, name=body.name, jql=body.jql,
                                          description=body.description, shares=_shares(body.shares),
                                          version=body.version)
        [details] = await describe_filters(session, actor, [saved])
        return filter_view(details, ctx)


@router.delete("/filters/{filter_id}", status_code=204)
async def delete_filter(filter_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        saved = await access_filter(session, actor, filter_id, to_delete=True)
        await check_delete_filter(session, actor=actor, saved=saved)
    return Response(status_code=204)


@router.put("/filters/{filter_id}/favourite", responses=ok(FilterOut))
async def add_favourite(filter_id: StoredId, ctx: Ctx) -> dict:
    return await _set_favourite(filter_id, ctx, favourite=True)


@router.delete("/filters/{filter_id}/favourite", responses=ok(FilterOut))
async def remove_favourite(filter_id: StoredId, ctx: Ctx) -> dict:
    return await _set_favourite(filter_id, ctx, favourite=False)


async def _set_favourite(filter_id: StoredId, ctx: Ctx, *, favourite: bool) -> dict:
    async with ctx.transaction() as (session, actor):
        saved = await access_filter(session, actor, filter_id)
        await do_set_favourite(session, actor=actor, saved=saved, favourite=favourite)
        [details] = await describe_filters(session, actor, [saved])
        return filter_view(details, ctx)


@router.get("/jql/autocomplete", responses=ok(AutocompleteOut))
async def jql_autocomplete(ctx: Ctx, field: Annotated[str | None, Query(max_length=255)] = None,
                           value: Annotated[str, Query(max_length=255)] = "",
                           prefix: Annotated[str, Query(max_length=255)] = "") -> dict:
    """Without `field`: field names starting with `prefix`, with their operators. With `field`:
    values starting with `value` (or `prefix`), quoted as JQL needs them."""
    async with ctx.transaction() as (session, actor):
        if field is None:
            return {"fields": await suggest_fields(session, actor, prefix=prefix)}
        return {"field": field, "results": await suggest_values(session, actor, field=field, value=value or prefix)}


@router.get("/jql/autocomplete/data", responses=ok(AutocompleteDataOut))
async def jql_autocomplete_data(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return await autocomplete_data(session, actor)
