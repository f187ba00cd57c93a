"""/rest/api/2/dashboard (the dashboards the caller may see, paged as Jira pages them) and
/dashboard/{id}. Tessera has no dashboard favourites: `filter=favourite` lists the caller's own
dashboards, which is what a Jira user's favourites start as; `filter=my` lists them too."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tessera.api.jira.dialect import links_for
from tessera.db.refs import parse_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.jira_format.shapes import Links
from tessera.reports.dashboards import access_dashboard, list_dashboards
from tessera.reports.models import Dashboard

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
NOT_FOUND = "The dashboard with id '{}' does not exist."


def dashboard_json(links: Links, dashboard: Dashboard) -> dict[str, Any]:
    return {"id": str(dashboard.id), "name": dashboard.name, "self": f"{links.api}/dashboard/{dashboard.id}",
            "view": f"{links.base_url}/dashboards/{dashboard.id}"}


@router.get("/dashboard")
async def dashboards(ctx: Ctx, filter: Annotated[str | None, Query(max_length=20)] = None,  # noqa: A002 (Jira's)
                     startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # noqa: N803
                     maxResults: Annotated[int, Query(ge=1, le=1000)] = 20) -> dict:  # noqa: N803
    if filter not in (None, "", "favourite", "my"):
        raise InvalidInput("filter is favourite or my.", field="filter")
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        found, total = await list_dashboards(session, actor, mine=bool(filter), start_at=startAt,
                                             max_results=maxResults)
    view: dict[str, Any] = {"startAt": startAt, "maxResults": maxResults, "total": total,
                            "dashboards": [dashboard_json(links, d) for d in found]}
    base = f"{links.api}/dashboard?{f'filter={filter}&' if filter else ''}maxResults={maxResults}"
    if startAt > 0:
        view["prev"] = f"{base}&startAt={max(startAt - maxResults, 0)}"
    if startAt + maxResults < total:
        view["next"] = f"{base}&startAt={startAt + maxResults}"
    return view


@router.get("/dashboard/{dashboard_ref}")
async def dashboard(dashboard_ref: str, ctx: Ctx) -> dict:
    dashboard_id = parse_id(dashboard_ref)
    if dashboard_id is None:
        raise NotFound(NOT_FOUND.format(dashboard_ref[:40]))
    async with ctx.transaction() as (session, actor):
        try:
            found = await access_dashboard(session, actor, dashboard_id)
        except NotFound:
            raise NotFound(NOT_FOUND.format(dashboard_id)) from None
    return dashboard_json(links_for(ctx), found)
