"""Dashboards in the browser: the list of dashboards the viewer may see (their own and those
shared with them), and a dashboard's gadgets in its grid, each drawn server-side from the data
the REST `/v2/dashboards/{id}/data` call answers (through the same cache)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.db.refs import require_id
from tessera.reports.dashboard_data import dashboard_data
from tessera.reports.dashboards import access_dashboard, describe_dashboards, list_dashboards
from tessera.reports.gadget_charts import gadget_chart
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.web.templating import chart_markup

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MAX_LISTED = 500


def dashboard_id_of(text: str) -> int:
    return require_id(text, not_found="Dashboard not found.")


def grid(gadgets: list[dict[str, Any]], columns: int) -> list[list[dict[str, Any]]]:
    """The gadgets per layout column, each column top to bottom; a chart is drawn when the
    report layer has one for the gadget's type."""
    laid_out: list[list[dict[str, Any]]] = [[] for _ in range(columns)]
    for gadget in sorted(gadgets, key=lambda g: (g["row"], g["column"])):
        chart = gadget_chart(gadget)
        laid_out[min(max(gadget["column"], 0), columns - 1)].append(
            {**gadget, "chart": chart_markup(chart) if chart is not None else None})
    return laid_out


@router.get("/dashboards")
async def dashboards_page(web: Web) -> Response:
    async with web.transaction() as (session, actor):
        dashboards, total = await list_dashboards(session, actor, max_results=MAX_LISTED)
        listed = await describe_dashboards(session, actor, dashboards)
    return web.render("dashboards.html", dashboards=listed, total=total, nav="dashboards")


@router.get("/dashboards/{dashboard_id}")
async def dashboard_page(dashboard_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        dashboard = await access_dashboard(session, actor, dashboard_id_of(dashboard_id))
        [details] = await describe_dashboards(session, actor, [dashboard])
        data = await dashboard_data(session, actor=actor, dashboard=dashboard,
                                    cache=getattr(web.request.app.state, "dashboard_cache", None),
                                    now=datetime.now(UTC))
    columns = max(1, int(dashboard.layout.get("columns") or 1))
    return web.render("dashboard.html", dashboard=dashboard, owner=details.owner,
                      columns=grid(data["gadgets"], columns), nav="dashboards")
