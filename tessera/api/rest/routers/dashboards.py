"""/v2/dashboards: dashboards of gadgets, shared like saved filters, with all their gadgets'
data in one request (`GET /v2/dashboards/{id}/data`, or `GET /v2/dashboards/{id}?include=data`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.reports import DashboardDataOut, DashboardOut, DashboardPageOut
from tessera.api.rest.schemas import Body, LongText, Name, StoredId
from tessera.edge.context import RequestContext, request_context
from tessera.reports.dashboard_cache import GadgetCache
from tessera.reports.dashboard_data import dashboard_data
from tessera.reports.dashboards import (
    access_dashboard,
    check_create_dashboard,
    check_delete_dashboard,
    check_update_dashboard,
    dashboard_view,
    describe_dashboards,
    list_dashboards,
)
from tessera.reports.gadgets import GADGET_TYPES

router = APIRouter(prefix="/v2/dashboards", tags=["dashboards"])
Ctx = Annotated[RequestContext, Depends(request_context)]
LAYOUT_HELP = ('{"columns": 1-4, "gadgets": [{"type", "title", "id", "column", "row", "config"}]}; types: '
               + ", ".join(GADGET_TYPES) + ". A gadget's issues come from `jql` or `filter_id`; sprint gadgets "
               "from `board_id`. See the README for every setting.")
Refresh = Annotated[bool, Query(description="Recompute every gadget instead of reading the cache.")]


class DashboardCreate(Body):
    name: Name
    description: LongText = ""
    layout: dict[str, Any] = Field(default_factory=lambda: {"gadgets": []}, description=LAYOUT_HELP)
    shares: list[dict[str, Any]] = Field(default_factory=list, max_length=100, description=(
        "As for saved filters: {type: organization | project | project_role | group | user, project_id, role, "
        "group_id, user_id}."))


class DashboardUpdate(Body):
    name: Name | None = None
    description: LongText | None = None
    layout: dict[str, Any] | None = Field(default=None, description=LAYOUT_HELP)
    shares: list[dict[str, Any]] | None = Field(default=None, max_length=100)
    version: int | None = Field(default=None, description="The version you read; a stale one answers 409.")


def _cache(ctx: RequestContext) -> GadgetCache | None:
    return getattr(ctx.request.app.state, "dashboard_cache", None)


@router.post("", status_code=201, responses=ok(DashboardOut, 201))
async def create_dashboard(body: DashboardCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        dashboard = await check_create_dashboard(session, actor=actor, spec=body.model_dump())
        [details] = await describe_dashboards(session, actor, [dashboard])
        return dashboard_view(details, actor)


@router.get("", responses=ok(DashboardPageOut))
async def get_dashboards(ctx: Ctx, query: Annotated[str | None, Query(max_length=255)] = None, mine: bool = False,
                         start_at: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                         max_results: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict:
    async with ctx.transaction() as (session, actor):
        dashboards, total = await list_dashboards(session, actor, query=query, mine=mine, start_at=start_at,
                                                  max_results=max_results)
        details = await describe_dashboards(session, actor, dashboards)
        return {"start_at": start_at, "max_results": max_results, "total": total,
                "dashboards": [dashboard_view(d, actor, with_layout=False) for d in details]}


@router.get("/{dashboard_id}", responses=ok(DashboardOut))
async def get_dashboard(dashboard_id: StoredId, ctx: Ctx,
                        include: Annotated[str | None, Query(max_length=50, description="`data`: every gadget's "
                                                                                        "data too.")] = None,
                        refresh: Refresh = False) -> dict:
    async with ctx.transaction() as (session, actor):
        dashboard = await access_dashboard(session, actor, dashboard_id)
        [details] = await describe_dashboards(session, actor, [dashboard])
        view = dashboard_view(details, actor)
        if include and "data" in {part.strip().lower() for part in include.split(",")}:
            view["data"] = await dashboard_data(session, actor=actor, dashboard=dashboard, cache=_cache(ctx),
                                                now=datetime.now(UTC), refresh=refresh)
        return view


@router.get("/{dashboard_id}/data", responses=ok(DashboardDataOut))
async def get_dashboard_data(dashboard_id: StoredId, ctx: Ctx, refresh: Refresh = False) -> dict:
    """Every gadget's data for the caller: `data` (or `error` for a gadget it cannot show), and
    whether it came from the cache."""
    async with ctx.transaction() as (session, actor):
        dashboard = await access_dashboard(session, actor, dashboard_id)
        return await dashboard_data(session, actor=actor, dashboard=dashboard, cache=_cache(ctx),
                                    now=datetime.now(UTC), refresh=refresh)


@router.put("/{dashboard_id}", responses=ok(DashboardOut))
async def update_dashboard(dashboard_id: StoredId, body: DashboardUpdate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        dashboard = await access_dashboard(session, actor, dashboard_id)
        dashboard = await check_update_dashboard(session, actor=actor, dashboard=dashboard,
                                                 spec=body.model_dump(exclude_unset=True))
        [details] = await describe_dashboards(session, actor, [dashboard])
        return dashboard_view(details, actor)


@router.delete("/{dashboard_id}", status_code=204)
async def delete_dashboard(dashboard_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        dashboard = await access_dashboard(session, actor, dashboard_id, to_delete=True)
        await check_delete_dashboard(session, actor=actor, dashboard=dashboard)
    return Response(status_code=204)
