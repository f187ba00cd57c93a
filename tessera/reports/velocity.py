"""Velocity: per completed sprint, the work committed (the estimates of the issues in it when it
started) against the work completed (issues in it and done just before it completed), with the
average and a forecast of the next sprints.

The forecast is plain statistics over the completed work of the sprints in the period (n of
them, mean m, sample standard deviation s): each next sprint is expected to complete m, within
the prediction interval m ± t·s·√(1 + 1/n) (Student's t with n − 1 degrees of freedom at the
chosen confidence); the k next sprints together k·m ± t·s·√(k + k²/n) (k new sprints vary
independently, and the mean itself is uncertain by s/√n). Below two sprints there is no band."""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import agile_fields
from tessera.errors import InvalidInput
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.projects.models import Project
from tessera.reports import charts
from tessera.reports.estimates import Estimate, resolve_estimate
from tessera.reports.periods import EARLIEST, iso, period_start
from tessera.reports.report import Report, rounded
from tessera.reports.selection import select_issues
from tessera.reports.sprint_history import SprintIssue, load_sprint_issues
from tessera.reports.sprint_scope import SprintRun, closed_runs
from tessera.reports.stats import CONFIDENCE_LEVELS, mean, sample_stdev, t_quantile
from tessera.tenancy.actor import Actor

MAX_FORECAST = 20
COLUMNS = ["kind", "sprint_id", "name", "start_at", "completed_at", "committed", "completed", "added", "removed",
           "issues_committed", "issues_completed", "next", "expected", "low", "high", "cumulative_expected",
           "cumulative_low", "cumulative_high"]
METHOD = ("mean ± t(confidence, n−1)·s·√(1 + 1/n) per sprint; k·mean ± t·s·√(k + k²/n) for the next k together "
          "(Student's t prediction interval over the completed work of the period's sprints)")


def sprint_velocity(run: SprintRun, issues: list[SprintIssue]) -> dict:
    key, start, stop = run.key, run.started, run.completed
    assert stop is not None
    committed = completed = added = removed = 0.0
    issues_committed = issues_completed = 0
    for issue in issues:
        if issue.in_sprint(key, start):
            committed += issue.estimate_at(start)
            issues_committed += 1
        if issue.in_sprint(key, stop, inclusive=False) and issue.done_at(stop, inclusive=False):
            completed += issue.estimate_at(stop, inclusive=False)
            issues_completed += 1
        for at in issue.sprint.changes_between(start, stop, stop_inclusive=False):
            was_in, now_in = issue.in_sprint(key, at, inclusive=False), issue.in_sprint(key, at)
            if now_in and not was_in:
                added += issue.estimate_at(at)
            elif was_in and not now_in:
                removed += issue.estimate_at(at, inclusive=False)
    return {"sprint_id": run.sprint.id, "name": run.sprint.name, "start_at": iso(run.started),
            "completed_at": iso(stop), "committed": rounded(committed), "completed": rounded(completed),
            "added": rounded(added), "removed": rounded(removed), "issues_committed": issues_committed,
            "issues_completed": issues_completed}


def forecast(completed: list[float], *, sprints: int, confidence: float) -> list[dict]:
    n = len(completed)
    average, spread = mean(completed), sample_stdev(completed)
    if average is None:
        return []
    t = t_quantile(confidence, n - 1) if spread is not None else None
    rows = []
    for k in range(1, sprints + 1):
        one = t * spread * math.sqrt(1 + 1 / n) if t is not None and spread is not None else None
        many = t * spread * math.sqrt(k + k * k / n) if t is not None and spread is not None else None
        rows.append({"next": k, "expected": rounded(average),
                     "low": rounded(max(0.0, average - one)) if one is not None else None,
                     "high": rounded(average + one) if one is not None else None,
                     "cumulative_expected": rounded(k * average),
                     "cumulative_low": rounded(max(0.0, k * average - many)) if many is not None else None,
                     "cumulative_high": rounded(k * average + many) if many is not None else None})
    return rows


def validate_confidence(value: float | None) -> float:
    if value is None:
        return 0.95
    for level in CONFIDENCE_LEVELS:
        if abs(value - level) < 1e-9:
            return level
    raise InvalidInput(f"confidence is one of {', '.join(str(c) for c in CONFIDENCE_LEVELS)}.", field="confidence")


async def completed_sprints(session: AsyncSession, *, actor: Actor, project: Project, catalog: OrgCatalog,
                            estimate: Estimate, since: datetime, now: datetime, jql: str | None = None,
                            sprint_ids: list[int] | None = None) -> list[dict]:
    """sprint_velocity of each sprint completed in [since, now], oldest first."""
    runs = await closed_runs(session, organization_id=actor.organization_id, project=project,
                             sprint_ids=sprint_ids, since=since, until=now)
    selection = await select_issues(session, actor=actor, project=project, jql=jql, now=now)
    issues, ever = await load_sprint_issues(session, selection=selection, sprint_ids=[r.sprint.id for r in runs],
                                            sprint_field=agile_fields(catalog).sprint, estimate=estimate,
                                            catalog=catalog)
    return [sprint_velocity(run, [issues[i] for i in sorted(ever[run.sprint.id])]) for run in runs]


async def average_velocity(session: AsyncSession, *, actor: Actor, project: Project, since: datetime | None,
                           now: datetime) -> float | None:
    """The velocity report's average over the sprints completed since `since` (None: ever), in
    story points, or in issues where the organization has no Story Points field; None without
    completed sprints or without a Sprint field."""
    catalog = await catalog_for(session, actor)
    try:
        agile_fields(catalog)
    except InvalidInput:  # no Sprint field: nothing was ever sprinted
        return None
    try:
        estimate = resolve_estimate(catalog, None)
    except InvalidInput:
        estimate = resolve_estimate(catalog, "issue_count")
    sprints = await completed_sprints(session, actor=actor, project=project, catalog=catalog, estimate=estimate,
                                      since=since or EARLIEST, now=now)
    return rounded(mean([row["completed"] for row in sprints]))


async def velocity_report(session: AsyncSession, *, actor: Actor, project: Project, period: str | None = None,
                          estimate_ref: str | None = None, jql: str | None = None, forecast_sprints: int = 3,
                          confidence: float | None = None, sprint_ids: list[int] | None = None,
                          since: datetime | None = None, now: datetime) -> Report:
    """`sprint_ids` limits the sprints (a board's); `since`, else `period` (default 6 months) back
    from now, bounds their completion."""
    if not 0 <= forecast_sprints <= MAX_FORECAST:
        raise InvalidInput(f"forecast is 0 to {MAX_FORECAST} sprints.", field="forecast")
    level = validate_confidence(confidence)
    catalog = await catalog_for(session, actor)
    estimate = resolve_estimate(catalog, estimate_ref)
    since = since or period_start(period or "6months", now)
    sprints = await completed_sprints(session, actor=actor, project=project, catalog=catalog, estimate=estimate,
                                      since=since, now=now, jql=jql, sprint_ids=sprint_ids)
    completed = [row["completed"] for row in sprints]
    committed = [row["committed"] for row in sprints]
    ahead = forecast(completed, sprints=forecast_sprints, confidence=level)
    data = {"project": {"id": project.id, "key": project.key, "name": project.name},
            "period": {"from": iso(since), "to": iso(now)}, "estimate": estimate.view(), "jql": jql or None,
            "sprints": sprints, "average": rounded(mean(completed)), "committed_average": rounded(mean(committed)),
            "stdev": rounded(sample_stdev(completed)),
            "forecast": {"confidence": level, "method": METHOD, "sprints": ahead}}
    rows = [["sprint", *[row[c] for c in COLUMNS[1:11]], *[None] * 7] for row in sprints]
    rows += [["forecast", *[None] * 10, *[row[c] for c in COLUMNS[11:]]] for row in ahead]
    title = f"{project.name}: velocity ({estimate.label})"
    return Report("velocity", data, COLUMNS, rows, lambda: charts.velocity_chart(title, sprints, ahead))
