"""Reports and dashboards as /v2 answers them in JSON (tessera.reports); CSV and SVG are documented
by media type only."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.api.rest.responses.common import Out, Page, PersonRef, ProjectRef

NUMBER = float | None


class Window(Out):
    from_: str = Field(alias="from")
    to: str


class ReportHead(Out):
    project: ProjectRef
    jql: str | None


class SprintReportOut(ReportHead):
    """Burndown (ideal, actual, remaining, scope_changes, completed_issues) or burnup (scope,
    completed, ideal): each series a list of {at, value, event?, issue_key?}."""

    sprint: dict[str, Any]
    estimate: dict[str, Any] = Field(description="{kind, label, unit, field}")
    as_of: str | None
    ideal: list[dict[str, Any]]
    totals: dict[str, Any]


class VelocityOut(ReportHead):
    period: Window
    estimate: dict[str, Any] = Field(description="{kind, label, unit, field}")
    sprints: list[dict[str, Any]]
    average: NUMBER
    committed_average: NUMBER
    stdev: NUMBER
    forecast: dict[str, Any]


class WindowedReport(ReportHead):
    window: Window


class FlowMetric(Out):
    issue_type: str
    metric: str
    count: int
    mean: NUMBER
    median: NUMBER
    p75: NUMBER
    p85: NUMBER
    p95: NUMBER
    min: NUMBER
    max: NUMBER
    without_cycle_time: int | None


class CycleTimeOut(WindowedReport):
    unit: str
    resolved_issues: int
    metrics: list[FlowMetric]


class ControlChartOut(WindowedReport):
    metric: str
    unit: str
    rolling: int
    truncated: bool
    summary: dict[str, Any] = Field(description="{count, mean, median, stdev}")
    points: list[dict[str, Any]]


class CumulativeFlowOut(WindowedReport):
    statuses: list[dict[str, Any]]
    days: list[dict[str, Any]] = Field(description="{date, counts: one per status}")


class CreatedVsResolvedOut(WindowedReport):
    interval: str
    cumulative: bool
    totals: dict[str, int]
    periods: list[dict[str, Any]]


class TimeInStatusOut(WindowedReport):
    unit: str
    resolved_issues: int
    truncated: bool
    statuses: list[dict[str, Any]]
    issues: list[dict[str, Any]]


class DashboardBrief(Out):
    id: int
    name: str
    description: str
    owner: PersonRef | None
    version: int
    can_edit: bool
    created: str
    updated: str
    shares: list[dict[str, Any]]


class DashboardOut(DashboardBrief):
    layout: dict[str, Any] = Field(description="{columns, gadgets: [{id, type, title, column, row, config}]}")


class DashboardPageOut(Page):
    dashboards: list[DashboardBrief]


class DashboardDataOut(Out):
    dashboard_id: int
    version: int
    data_version: str
    gadgets: list[dict[str, Any]] = Field(description="Per gadget: {id, type, data} or {id, type, error}.")
