"""A project's reports page: pick a report (and a sprint for burndown and burnup), see its chart
and download it as CSV from the REST endpoint, which accepts the same browser session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import TesseraError
from tessera.projects.models import Project
from tessera.projects.service import access_project
from tessera.reports.burndown import burndown_report, burnup_report
from tessera.reports.cumulative import created_vs_resolved_report, cumulative_flow_report
from tessera.reports.flow import control_chart_report, cycle_time_report, time_in_status_report
from tessera.reports.report import Report
from tessera.reports.sprint_scope import started_runs
from tessera.reports.velocity import velocity_report
from tessera.tenancy.actor import Actor
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.web.templating import chart_markup

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Compute = Callable[[AsyncSession, Actor, Project, str | None, datetime], Awaitable[Report]]


@dataclass(frozen=True)
class ReportChoice:
    name: str  # the REST path's last part
    label: str
    compute: Compute
    by_sprint: bool = False


REPORTS = {choice.name: choice for choice in (
    ReportChoice("burndown", "Sprint burndown", lambda session, actor, project, sprint, now: burndown_report(
        session, actor=actor, project=project, sprint_ref=sprint, now=now), by_sprint=True),
    ReportChoice("burnup", "Sprint burnup", lambda session, actor, project, sprint, now: burnup_report(
        session, actor=actor, project=project, sprint_ref=sprint, now=now), by_sprint=True),
    ReportChoice("velocity", "Velocity", lambda session, actor, project, _, now: velocity_report(
        session, actor=actor, project=project, now=now)),
    ReportChoice("cycle-time", "Lead and cycle time", lambda session, actor, project, _, now: cycle_time_report(
        session, actor=actor, project=project, now=now)),
    ReportChoice("cumulative-flow", "Cumulative flow", lambda session, actor, project, _, now:
                 cumulative_flow_report(session, actor=actor, project=project, now=now)),
    ReportChoice("created-vs-resolved", "Created vs resolved", lambda session, actor, project, _, now:
                 created_vs_resolved_report(session, actor=actor, project=project, now=now)),
    ReportChoice("control-chart", "Control chart", lambda session, actor, project, _, now: control_chart_report(
        session, actor=actor, project=project, now=now)),
    ReportChoice("time-in-status", "Time in status", lambda session, actor, project, _, now:
                 time_in_status_report(session, actor=actor, project=project, now=now)),
)}
DEFAULT_REPORT = "velocity"


@router.get("/projects/{project_key}/reports")
async def reports_page(project_key: str, web: Web, report: str = DEFAULT_REPORT, sprint: str = "") -> Response:
    """An unknown report name shows the default one; a report that cannot be computed (no started
    sprint yet, say) shows its message in place of the chart."""
    choice = REPORTS.get(report, REPORTS[DEFAULT_REPORT])
    sprint_ref = sprint if choice.by_sprint and parse_id(sprint) is not None else None
    chart, problem = None, None
    async with web.transaction() as (session, actor):
        project = await access_project(session, actor, project_key)
        sprints = await started_runs(session, actor, project) if choice.by_sprint else []
        try:
            computed = await choice.compute(session, actor, project, sprint_ref, datetime.now(UTC))
            chart = chart_markup(computed.chart())
        except TesseraError as error:
            problem = error.message
    query = {"format": "csv", **({"sprint_id": sprint_ref} if sprint_ref else {})}
    csv_url = f"/v2/projects/{project.id}/reports/{choice.name}?{urlencode(query)}"
    return web.render("reports.html", project=project, reports=REPORTS.values(), choice=choice, sprints=sprints,
                      sprint=sprint_ref, chart=chart, problem=problem, csv_url=csv_url, nav="reports")
