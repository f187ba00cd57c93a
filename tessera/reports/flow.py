"""Lead time, cycle time, the control chart and time in status, over the issues resolved in a
window (see resolved.py).

Lead time runs from creation to resolution; cycle time from the first entry into a status of the
In Progress category to resolution (issues that never were in progress have no cycle time and
are counted as `without_cycle_time`). Times are in days. The control chart's rolling average
and standard deviation are trailing, over the last `rolling` issues (by default a fifth of
them, as Jira does). Per-issue rows stop at the latest MAX_ROWS resolved (`truncated` says so);
the statistics always cover every issue."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.issues.references import catalog_for
from tessera.projects.models import Project
from tessera.reports import charts
from tessera.reports.periods import EARLIEST, Window, iso, report_window
from tessera.reports.report import Report, rounded
from tessera.reports.resolved import ResolvedIssue, category_ids, days, resolved_in
from tessera.reports.selection import select_issues
from tessera.reports.stats import mean, percentile, sample_stdev, summary
from tessera.tenancy.actor import Actor

MAX_DAYS = 3_660
MAX_ROWS = 5_000  # per-issue rows shown (the latest resolved); statistics cover every issue
STATS = ["count", "mean", "median", "p75", "p85", "p95", "min", "max"]


async def _resolved(session: AsyncSession, actor: Actor, project: Project, jql: str | None, start: str | None,
                    end: str | None, period: str | None, now: datetime):  # type: ignore[no-untyped-def]
    window = report_window(start=start, end=end, period=period, default_period="90d", now=now, max_days=MAX_DAYS)
    catalog = await catalog_for(session, actor)
    selection = await select_issues(session, actor=actor, project=project, jql=jql, now=now)
    issues = await resolved_in(session, selection=selection, window=window, catalog=catalog)
    head = {"project": {"id": project.id, "key": project.key, "name": project.name}, "jql": jql or None,
            "window": {"from": iso(window.start), "to": iso(window.end)}}
    return catalog, issues, head


async def cycle_time_report(session: AsyncSession, *, actor: Actor, project: Project, jql: str | None = None,
                            start: str | None = None, end: str | None = None, period: str | None = None,
                            now: datetime) -> Report:
    catalog, issues, head = await _resolved(session, actor, project, jql, start, end, period, now)
    in_progress = category_ids(catalog, "in_progress")
    lead: dict[str, list[float]] = defaultdict(list)
    cycle: dict[str, list[float]] = defaultdict(list)
    without: dict[str, int] = defaultdict(int)
    for issue in issues:
        for group in ("All", issue.issue_type):
            lead[group].append(days((issue.resolved_at - issue.created_at).total_seconds()))
            started = issue.cycle_start(in_progress)
            if started is None:
                without[group] += 1
            else:
                cycle[group].append(days((issue.resolved_at - started).total_seconds()))
    order = ["All"] + [t.name for t in catalog.issue_types if t.name in lead]
    metrics = []
    for group in order:
        for metric, values in (("lead_time", lead[group]), ("cycle_time", cycle[group])):
            metrics.append({"issue_type": group, "metric": metric, **summary(values),
                            "without_cycle_time": without[group] if metric == "cycle_time" else None})
    data = {**head, "unit": "days", "resolved_issues": len(issues), "metrics": metrics}
    columns = ["issue_type", "metric", *STATS, "without_cycle_time"]
    rows = [[row[c] for c in columns] for row in metrics]
    title = f"{project.name}: lead and cycle time (days)"
    return Report("cycle-time", data, columns, rows, lambda: charts.percentile_chart(title, metrics))


async def _resolved_since(session: AsyncSession, *, actor: Actor, project: Project, since: datetime | None,
                          now: datetime) -> tuple[frozenset[str], list[ResolvedIssue]]:
    catalog = await catalog_for(session, actor)
    selection = await select_issues(session, actor=actor, project=project, now=now)
    issues = await resolved_in(session, selection=selection, window=Window(since or EARLIEST, now), catalog=catalog)
    return category_ids(catalog, "in_progress"), issues


async def median_lead_time(session: AsyncSession, *, actor: Actor, project: Project, since: datetime | None,
                           now: datetime) -> float | None:
    """The cycle-time report's median lead time (days) over the issues resolved since `since`
    (None: ever) up to `now`, resolution read from the history; None when none was."""
    _, issues = await _resolved_since(session, actor=actor, project=project, since=since, now=now)
    return percentile(sorted(days((issue.resolved_at - issue.created_at).total_seconds()) for issue in issues), 0.5)


async def median_cycle_time(session: AsyncSession, *, actor: Actor, project: Project, since: datetime | None,
                            now: datetime) -> float | None:
    """As median_lead_time, from the first entry into an In Progress status; issues never in
    progress are left out."""
    in_progress, issues = await _resolved_since(session, actor=actor, project=project, since=since, now=now)
    spans = [days((issue.resolved_at - started).total_seconds()) for issue in issues
             if (started := issue.cycle_start(in_progress)) is not None]
    return percentile(sorted(spans), 0.5)


def _rolling(values: list[float], width: int) -> list[tuple[float | None, float | None]]:
    found = []
    for index in range(len(values)):
        window = values[max(0, index - width + 1):index + 1]
        found.append((rounded(mean(window)), rounded(sample_stdev(window))))
    return found


async def control_chart_report(session: AsyncSession, *, actor: Actor, project: Project, jql: str | None = None,
                               start: str | None = None, end: str | None = None, period: str | None = None,
                               metric: str = "cycle_time", rolling: int | None = None, now: datetime) -> Report:
    if metric not in ("cycle_time", "lead_time"):
        raise InvalidInput("metric is cycle_time or lead_time.", field="metric")
    if rolling is not None and not 1 <= rolling <= 1000:
        raise InvalidInput("rolling is 1 to 1000 issues.", field="rolling")
    catalog, issues, head = await _resolved(session, actor, project, jql, start, end, period, now)
    in_progress = category_ids(catalog, "in_progress")
    measured = []
    for issue in issues:
        began = issue.cycle_start(in_progress) if metric == "cycle_time" else issue.created_at
        if began is not None:
            measured.append((issue, days((issue.resolved_at - began).total_seconds())))
    values = [value for _, value in measured]
    width = rolling or max(1, round(len(values) / 5))
    points = [{"issue_key": issue.key, "issue_type": issue.issue_type, "resolved_at": iso(issue.resolved_at),
               "days": rounded(value), "rolling_mean": average, "rolling_stdev": spread}
              for (issue, value), (average, spread) in zip(measured, _rolling(values, width), strict=True)]
    ordered = sorted(values)
    shown = points[-MAX_ROWS:]
    data = {**head, "metric": metric, "unit": "days", "rolling": width, "truncated": len(shown) < len(points),
            "summary": {"count": len(values), "mean": rounded(mean(values)),
                        "median": rounded(percentile(ordered, 0.5)), "stdev": rounded(sample_stdev(values))},
            "points": shown}
    columns = ["issue_key", "issue_type", "resolved_at", "days", "rolling_mean", "rolling_stdev"]
    title = f"{project.name}: control chart ({metric.replace('_', ' ')}, days)"
    return Report("control-chart", data, columns, [[p[c] for c in columns] for p in shown],
                  lambda: charts.control_chart(title, shown))


async def time_in_status_report(session: AsyncSession, *, actor: Actor, project: Project, jql: str | None = None,
                                start: str | None = None, end: str | None = None, period: str | None = None,
                                now: datetime) -> Report:
    """Per issue resolved in the window, the days it spent in each status from creation to
    resolution; and per status, over those issues."""
    catalog, issues, head = await _resolved(session, actor, project, jql, start, end, period, now)
    names = {str(status.id): status.name for status in catalog.statuses}
    categories = {status.name: status.category for status in catalog.statuses}
    per_issue = []
    spent: dict[str, list[float]] = defaultdict(list)
    for issue in issues:
        totals: dict[str, float] = defaultdict(float)
        for status_id, seconds in issue.segments():
            totals[names.get(status_id or "", f"Status {status_id}")] += seconds
        exact = {name: days(seconds) for name, seconds in totals.items()}
        shown = {name: rounded(value) for name, value in exact.items()}
        per_issue.append({"issue_key": issue.key, "issue_type": issue.issue_type,
                          "resolved_at": iso(issue.resolved_at), "days_by_status": shown})
        for name, value in exact.items():
            spent[name].append(value)
    status_order = [s.name for s in sorted(catalog.statuses, key=lambda s: (("todo", "in_progress", "done")
                                                                          .index(s.category), s.id))
                    if s.name in spent] + sorted(name for name in spent if name not in categories)
    statuses = [{"status": name, "category": categories.get(name), "issues": len(spent[name]),
                 "total_days": rounded(sum(spent[name])), "mean_days": rounded(mean(spent[name])),
                 "median_days": rounded(percentile(sorted(spent[name]), 0.5)),
                 "p85_days": rounded(percentile(sorted(spent[name]), 0.85))} for name in status_order]
    shown = per_issue[-MAX_ROWS:]
    data = {**head, "unit": "days", "resolved_issues": len(per_issue), "truncated": len(shown) < len(per_issue),
            "statuses": statuses, "issues": shown}
    columns = ["issue_key", "issue_type", "resolved_at", *status_order]
    rows = [[row["issue_key"], row["issue_type"], row["resolved_at"],
             *[row["days_by_status"].get(name, 0.0) for name in status_order]] for row in shown]
    title = f"{project.name}: time in status (mean days)"
    return Report("time-in-status", data, columns, rows, lambda: charts.bar_chart(
        title, [(s["status"], s["mean_days"] or 0.0) for s in statuses]))
