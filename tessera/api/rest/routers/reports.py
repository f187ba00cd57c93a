"""/v2/projects/{project_id}/reports/...: sprint burndown and burnup, velocity, lead and cycle
time, control chart, cumulative flow, created vs resolved and time in status.

Each answers JSON, or CSV (`?format=csv` or `Accept: text/csv`), or an SVG chart
(`?format=svg` or `Accept: image/svg+xml`). Reading a report needs only permission to browse the
project; another organization's project answers 404 as a missing one does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.boards import access_board
from tessera.agile.sprints import board_sprints
from tessera.api.rest.responses.reports import (
    ControlChartOut,
    CreatedVsResolvedOut,
    CumulativeFlowOut,
    CycleTimeOut,
    SprintReportOut,
    TimeInStatusOut,
    VelocityOut,
)
from tessera.api.rest.schemas import QueryId
from tessera.edge.context import RequestContext, request_context
from tessera.errors import NotFound
from tessera.projects.models import Project
from tessera.projects.service import access_project
from tessera.reports.burndown import burndown_report, burnup_report
from tessera.reports.cumulative import created_vs_resolved_report, cumulative_flow_report
from tessera.reports.exports import record_export, to_csv
from tessera.reports.flow import control_chart_report, cycle_time_report, time_in_status_report
from tessera.reports.report import Report
from tessera.reports.velocity import velocity_report
from tessera.tenancy.actor import Actor

router = APIRouter(prefix="/v2/projects/{project_id}/reports", tags=["reports"])
Ctx = Annotated[RequestContext, Depends(request_context)]
Format = Annotated[Literal["json", "csv", "svg"] | None, Query(description="Default: from the Accept header, "
                                                                          "else json.")]
Jql = Annotated[str | None, Query(max_length=20_000, description="Narrows the report's issues.")]
Estimate = Annotated[str | None, Query(max_length=255, description="story_points (default), issue_count, "
                                                                   "original_estimate or remaining_estimate (time "
                                                                   "tracking, in hours), or a number field's key "
                                                                   "or name.")]
Moment = Annotated[str | None, Query(max_length=64, description="ISO date or date-time (UTC).")]
From = Annotated[str | None, Query(alias="from", max_length=64, description="ISO date or date-time (UTC).")]
Period = Annotated[str | None, Query(max_length=32, description="Back from `to`: 30d, 2w, 6months, 1y.")]
SprintRef = Annotated[str | None, Query(max_length=64, description="Default: the project's active sprint, else "
                                                                   "its last completed one.")]
BoardRef = Annotated[QueryId | None, Query(description="Only this board's sprints.")]


def _formats(model: type) -> dict[int | str, dict]:
    """JSON shaped like `model`, or the same report as CSV or an SVG chart."""
    return {200: {"model": model, "content": {"text/csv": {"schema": {"type": "string"}},
                                              "image/svg+xml": {"schema": {"type": "string"}}}}}


Compute = Callable[[AsyncSession, Actor, Project, datetime], Awaitable[Report]]


def _format(request: Request, wanted: str | None) -> str:
    if wanted:
        return wanted
    accept = request.headers.get("accept", "").lower()
    if "text/csv" in accept:
        return "csv"
    if "image/svg+xml" in accept:
        return "svg"
    return "json"


async def _answer(ctx: RequestContext, project_id: str, wanted: str | None, compute: Compute) -> Response | dict:
    chosen = _format(ctx.request, wanted)
    # A CSV export writes its audit record, so it runs in a writing transaction.
    async with ctx.transaction(write=chosen == "csv") as (session, actor):
        project = await access_project(session, actor, project_id)
        report = await compute(session, actor, project, datetime.now(UTC))
        if chosen == "csv":
            record_export(session, actor=actor, project=project, report=report, rows=len(report.rows))
    stem = f"{project.key}-{report.name}"
    if chosen == "csv":
        return Response(to_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    if chosen == "svg":
        return Response(report.chart(), media_type="image/svg+xml",
                        headers={"Content-Disposition": f'inline; filename="{stem}.svg"'})
    return report.data


@router.get("/burndown", responses=_formats(SprintReportOut), response_model=None)
async def burndown(project_id: str, ctx: Ctx, sprint_id: SprintRef = None, estimate: Estimate = None,
                   jql: Jql = None, format: Format = None) -> Response | dict:
    """`ideal`, `actual` and `remaining` series, scope changes marked, completed work and totals."""
    return await _answer(ctx, project_id, format, lambda session, actor, project, now: burndown_report(
        session, actor=actor, project=project, sprint_ref=sprint_id, estimate_ref=estimate, jql=jql, now=now))


@router.get("/burnup", responses=_formats(SprintReportOut), response_model=None)
async def burnup(project_id: str, ctx: Ctx, sprint_id: SprintRef = None, estimate: Estimate = None,
                 jql: Jql = None, format: Format = None) -> Response | dict:
    """`scope` and `completed` series with the `ideal` guideline."""
    return await _answer(ctx, project_id, format, lambda session, actor, project, now: burnup_report(
        session, actor=actor, project=project, sprint_ref=sprint_id, estimate_ref=estimate, jql=jql, now=now))


async def _board_sprint_ids(session: AsyncSession, actor: Actor, project: Project, board_id: int | None
                            ) -> list[int] | None:
    if board_id is None:
        return None
    try:
        board, _ = await access_board(session, actor, board_id)
    except NotFound:
        raise NotFound("Board not found.") from None
    if board.project_id != project.id:
        raise NotFound("Board not found.")
    return [sprint.id for sprint in await board_sprints(session, actor.organization_id, board.id, ("closed",))]


@router.get("/velocity", responses=_formats(VelocityOut), response_model=None)
async def velocity(project_id: str, ctx: Ctx, period: Period = None, estimate: Estimate = None, jql: Jql = None,
                   forecast: Annotated[int, Query(ge=0, le=20, description="Next sprints to forecast.")] = 3,
                   confidence: Annotated[float | None, Query(ge=0, le=1, description="0.8, 0.9, 0.95 (default) "
                                                                                     "or 0.99.")] = None,
                   board_id: BoardRef = None, format: Format = None) -> Response | dict:
    """Committed vs completed per sprint completed in the period (default 6 months), the average
    and a forecast with a prediction band."""
    async def compute(session: AsyncSession, actor: Actor, project: Project, now: datetime) -> Report:
        sprint_ids = await _board_sprint_ids(session, actor, project, board_id)
        return await velocity_report(session, actor=actor, project=project, period=period, estimate_ref=estimate,
                                     jql=jql, forecast_sprints=forecast, confidence=confidence,
                                     sprint_ids=sprint_ids, now=now)
    return await _answer(ctx, project_id, format, compute)


@router.get("/cycle-time", responses=_formats(CycleTimeOut), response_model=None)
async def cycle_time(project_id: str, ctx: Ctx, start: From = None, to: Moment = None, period: Period = None,
                     jql: Jql = None, format: Format = None) -> Response | dict:
    """Lead time (created → resolved) and cycle time (first In Progress → resolved) per issue
    type, with percentiles, over the issues resolved in the window (default 90 days)."""
    return await _answer(ctx, project_id, format, lambda session, actor, project, now: cycle_time_report(
        session, actor=actor, project=project, jql=jql, start=start, end=to, period=period, now=now))


@router.get("/control-chart", responses=_formats(ControlChartOut), response_model=None)
async def control_chart(project_id: str, ctx: Ctx, start: From = None, to: Moment = None, period: Period = None,
                        jql: Jql = None, metric: Annotated[Literal["cycle_time", "lead_time"], Query()] = "cycle_time",
                        rolling: Annotated[int | None, Query(ge=1, le=1000)] = None,
                        format: Format = None) -> Response | dict:
    """Each resolved issue's cycle (or lead) time, with a trailing rolling average and standard deviation."""
    return await _answer(ctx, project_id, format, lambda session, actor, project, now: control_chart_report(
        session, actor=actor, project=project, jql=jql, start=start, end=to, period=period, metric=metric,
        rolling=rolling, now=now))


@router.get("/cumulative-flow", responses=_formats(CumulativeFlowOut), response_model=None)
async def cumulative_flow(project_id: str, ctx: Ctx, start: From = None, to: Moment = None, period: Period = None,
                          jql: Jql = None, format: Format = None) -> Response | dict:
    """Issues per status at the end of each day (default: the last 30 days)."""
    return await _answer(ctx, project_id, format, lambda session, actor, project, now: cumulative_flow_report(
        session, actor=actor, project=project, jql=jql, start=start, end=to, period=period, now=now))


@router.get("/created-vs-resolved", responses=_formats(CreatedVsResolvedOut), response_model=None)
async def created_vs_resolved(project_id: str, ctx: Ctx, start: From = None, to: Moment = None,
                              period: Period = None, jql: Jql = None,
                              interval: Annotated[Literal["day", "week"], Query()] = "day",
                              cumulative: bool = False, format: Format = None) -> Response | dict:
    """Issues created and resolved per day or week, with running totals."""
    return await _answer(ctx, project_id, format, lambda session, actor, project, now: created_vs_resolved_report(
        session, actor=actor, project=project, jql=jql, start=start, end=to, period=period, interval=interval,
        cumulative=cumulative, now=now))


@router.get("/time-in-status", responses=_formats(TimeInStatusOut), response_model=None)
async def time_in_status(project_id: str, ctx: Ctx, start: From = None, to: Moment = None, period: Period = None,
                         jql: Jql = None, format: Format = None) -> Response | dict:
    """Days each issue resolved in the window spent in each status, and per status overall."""
    return await _answer(ctx, project_id, format, lambda session, actor, project, now: time_in_status_report(
        session, actor=actor, project=project, jql=jql, start=start, end=to, period=period, now=now))
