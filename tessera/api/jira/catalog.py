"""/rest/api/2 catalogs: field, priority, status, statuscategory, issuetype, resolution, label,
and the scheme lists the `jira` client reads before creating a project."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tessera.api.jira.dialect import links_for
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.summaries import distinct_labels
from tessera.jira_format.fields import all_fields
from tessera.jira_format.shapes import (
    CATEGORIES,
    NO_CATEGORY,
    Links,
    category_json,
    issuetype_json,
    page,
    page_bean,
    priority_json,
    resolution_json,
    split_values,
    status_json,
)

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


async def _catalog(ctx: RequestContext) -> OrgCatalog:
    async with ctx.transaction() as (session, actor):
        return await catalog_for(session, actor)


def _one(entries: list[dict[str, Any]], ref: str, what: str) -> dict[str, Any]:
    """By id (its exact text: " 1" is not 1) or by name, in any case."""
    wanted = ref.casefold()
    found = next((e for e in entries if e["id"] == ref or str(e["name"]).casefold() == wanted), None)
    if found is None:
        raise NotFound(f"The {what} with id '{ref[:40]}' does not exist")
    return found


def _priorities(links: Links, catalog: OrgCatalog) -> list[dict[str, Any]]:
    return [{**priority_json(links, p.id, p.name, p.color), "description": ""} for p in catalog.priorities]


def _statuses(links: Links, catalog: OrgCatalog) -> list[dict[str, Any]]:
    return [status_json(links, s.id, s.name, s.category, s.description) for s in catalog.statuses]


def _types(links: Links, catalog: OrgCatalog) -> list[dict[str, Any]]:
    return [issuetype_json(links, t.id, t.name, t.subtask, t.description) for t in catalog.issue_types]


def _resolutions(links: Links, catalog: OrgCatalog) -> list[dict[str, Any]]:
    return [resolution_json(links, r.id, r.name, r.description) for r in catalog.resolutions]


def _catalog_routes(path: str, entries: Callable[[Links, OrgCatalog], list[dict[str, Any]]], what: str, *,
                    list_name: str, one_name: str) -> None:
    """GET /{path} answers the whole catalog, GET /{path}/{ref} one entry of it by id or name."""
    async def listed(ctx: Ctx) -> list[dict]:
        return entries(links_for(ctx), await _catalog(ctx))

    async def one(ref: str, ctx: Ctx) -> dict:
        return _one(entries(links_for(ctx), await _catalog(ctx)), ref, what)

    router.add_api_route(f"/{path}", listed, methods=["GET"], name=list_name)
    router.add_api_route(f"/{path}/{{ref}}", one, methods=["GET"], name=one_name)


@router.get("/field")
async def fields(ctx: Ctx) -> list[dict]:
    return [f.view() for f in all_fields(await _catalog(ctx))]


@router.get("/field/search")
async def search_fields(ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                        maxResults: Annotated[int, Query(ge=1, le=1000)] = 50,
                        type: Annotated[list[str] | None, Query(max_length=2)] = None,  # noqa: A002 (Jira's name)
                        id: Annotated[list[str] | None, Query(max_length=100)] = None,  # noqa: A002
                        query: Annotated[str | None, Query(max_length=200)] = None,
                        orderBy: Annotated[str | None, Query(max_length=30)] = None,
                        expand: Annotated[str | None, Query(max_length=200)] = None) -> dict:
    """Jira Cloud's paged field search: `type` custom or system, `id`s, `query` (a part of the
    name), `orderBy` name (or +name, -name); the answer is a PageBean of fields."""
    kinds = {kind.strip().lower() for kind in split_values(type)}
    if kinds - {"custom", "system"}:
        raise InvalidInput("type is custom or system.", field="type")
    order = (orderBy or "").strip()
    if order and order.lstrip("+-") != "name":
        raise InvalidInput("orderBy is name, +name or -name.", field="orderBy")
    wanted_ids = set(split_values(id))
    text = (query or "").strip().casefold()
    found = [f for f in all_fields(await _catalog(ctx))
             if (not kinds or ("custom" if f.custom else "system") in kinds)
             and (not wanted_ids or f.id in wanted_ids) and text in f.name.casefold()]
    if order:
        found.sort(key=lambda f: f.name.casefold(), reverse=order.startswith("-"))
    return page_bean([f.view() for f in found[startAt:startAt + maxResults]], start_at=startAt,
                     max_results=maxResults, total=len(found), url=str(ctx.request.url))


_catalog_routes("priority", _priorities, "priority", list_name="priorities", one_name="priority")


_catalog_routes("status", _statuses, "status", list_name="statuses", one_name="status")


@router.get("/statuscategory")
async def status_categories(ctx: Ctx) -> list[dict]:
    links = links_for(ctx)
    return [category_json(links, None), *(category_json(links, name) for name in CATEGORIES)]


@router.get("/statuscategory/{ref}")
async def status_category(ref: str, ctx: Ctx) -> dict:
    links = links_for(ctx)
    for name, (number, key, _, _) in [*CATEGORIES.items(), (None, NO_CATEGORY)]:
        if ref in (str(number), key):
            return category_json(links, name)
    raise NotFound(f"The status category with id '{ref[:40]}' does not exist")


_catalog_routes("issuetype", _types, "issue type", list_name="issue_types", one_name="issue_type")


_catalog_routes("resolution", _resolutions, "resolution", list_name="resolutions", one_name="resolution")


@router.get("/label")
async def labels(ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                 maxResults: Annotated[int, Query(ge=1, le=1000)] = 1000) -> dict:
    async with ctx.transaction() as (session, actor):
        found, total = await distinct_labels(session, actor, start_at=startAt, max_results=maxResults)
    return page(found, start_at=startAt, max_results=maxResults, total=total)


# A list `JIRA.create_project()` reads: Tessera has no project categories yet (permission schemes:
# api/jira/permission_schemes; issue security schemes: api/jira/issue_security).
@router.get("/projectCategory")
async def project_categories(ctx: Ctx) -> list[dict]:
    await _catalog(ctx)
    return []
