"""Sprint burndown and burnup, replayed from the sprint's issues' history.

At every instant an issue counts if the Sprint field held this sprint then; it adds its
estimate then (story points, 1 for issue count, or another number field) to the sprint's
scope, and to `remaining` while its status is not in the Done category, else to `completed`.
The state at the sprint's start is the commitment; every later change (of any issue's sprint,
estimate or status) that moves scope, remaining or completed is a point of the series, marked
`added`, `removed`, `estimate`, `completed` or `reopened`. A completed sprint ends just
before its completion (when its open issues move on); an active one runs until now.

`ideal` is the guideline from the remaining work at the start to zero at the planned end (for
burnup: from zero to the committed scope); `actual` samples the remaining work at the same
daily instants (from the start, a day apart, then the planned end and the last instant)."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import agile_fields
from tessera.issues.references import catalog_for
from tessera.projects.models import Project
from tessera.reports import charts
from tessera.reports.estimates import resolve_estimate
from tessera.reports.periods import iso
from tessera.reports.report import Report, rounded
from tessera.reports.selection import select_issues
from tessera.reports.sprint_history import SprintIssue, load_sprint_issues
from tessera.reports.sprint_scope import SprintRun, access_report_sprint
from tessera.tenancy.actor import Actor

DAY = timedelta(days=1)
MAX_SAMPLES = 500  # a sprint dated over years is sampled less often than daily


@dataclass(frozen=True)
class Point:
    at: datetime
    scope: float
    remaining: float
    completed: float
    event: str
    issue_key: str | None = None
    before: float | None = None  # the issue's estimate before and after the event
    after: float | None = None


@dataclass
class Progress:
    run: SprintRun
    stop: datetime
    points: list[Point] = field(default_factory=list)
    committed_issues: int = 0
    completed_issues: int = 0


def _contribution(inside: bool, estimate: float, done: bool) -> tuple[float, float, float]:
    if not inside:
        return 0.0, 0.0, 0.0
    return estimate, (0.0 if done else estimate), (estimate if done else 0.0)


def sprint_progress(run: SprintRun, issues: list[SprintIssue], now: datetime) -> Progress:
    """Points oldest first: the start, one per (issue, instant) change that matters, the end. A
    planned sprint has one point: its scope now, at its planned start."""
    key, start = run.key, run.started
    closed = run.completed is not None
    stop = run.completed if closed else max(now, start)
    assert stop is not None
    measured = now if run.planned else start
    scope = remaining = completed = 0.0
    committed_issues = 0
    for issue in issues:
        inside = issue.in_sprint(key, measured)
        committed_issues += inside
        amounts = _contribution(inside, issue.estimate_at(measured), issue.done_at(measured))
        scope, remaining, completed = scope + amounts[0], remaining + amounts[1], completed + amounts[2]
    progress = Progress(run, stop, [Point(start, rounded(scope), rounded(remaining), rounded(completed), "start")],
                        committed_issues)
    if run.planned:
        progress.stop = start
        progress.completed_issues = sum(1 for issue in issues if issue.in_sprint(key, now) and issue.done_at(now))
        return progress
    changes = sorted(((at, issue.id, issue) for issue in issues
                      for at in issue.change_times(start, stop, stop_inclusive=not closed)), key=lambda c: c[:2])
    for at, _, issue in changes:
        was_in, now_in = issue.in_sprint(key, at, inclusive=False), issue.in_sprint(key, at)
        if not (was_in or now_in):
            continue
        old_estimate, new_estimate = issue.estimate_at(at, inclusive=False), issue.estimate_at(at)
        was_done, now_done = issue.done_at(at, inclusive=False), issue.done_at(at)
        if was_in != now_in:
            event = "added" if now_in else "removed"
        elif was_done != now_done:
            event = "completed" if now_done else "reopened"
        elif old_estimate != new_estimate:
            event = "estimate"
        else:
            continue
        before = _contribution(was_in, old_estimate, was_done)
        after = _contribution(now_in, new_estimate, now_done)
        scope += after[0] - before[0]
        remaining += after[1] - before[1]
        completed += after[2] - before[2]
        progress.points.append(Point(at, rounded(scope), rounded(remaining), rounded(completed), event, issue.key,
                                     old_estimate if was_in else None, new_estimate if now_in else None))
    last = progress.points[-1]
    progress.points.append(Point(stop, last.scope, last.remaining, last.completed, "end" if closed else "now"))
    progress.completed_issues = sum(1 for issue in issues if issue.in_sprint(key, stop, inclusive=not closed)
                                    and issue.done_at(stop, inclusive=not closed))
    return progress


def _instants(run: SprintRun, stop: datetime) -> tuple[list[datetime], list[datetime]]:
    """(ideal instants, actual instants): a day apart from the start (further apart for a sprint
    of more than MAX_SAMPLES days), plus the planned end and the stop."""
    finish = max(run.planned_end, stop)
    step = DAY * max(1, math.ceil((finish - run.started) / DAY / MAX_SAMPLES))
    days, moment = [], run.started
    while moment < finish:
        days.append(moment)
        moment += step
    ideal = [d for d in days if d < run.planned_end] + [run.planned_end]
    actual = sorted({d for d in days if d < stop} | {stop} | ({run.planned_end} if run.planned_end < stop else set()))
    return ideal, actual


def _sampled(progress: Progress, instants: list[datetime], attribute: str) -> list[dict]:
    times = [point.at for point in progress.points]
    return [{"at": iso(moment), "value": getattr(progress.points[max(0, bisect_right(times, moment) - 1)], attribute)}
            for moment in instants]


def _guideline(run: SprintRun, instants: list[datetime], begin: float, finish: float) -> list[dict]:
    span = (run.planned_end - run.started).total_seconds() or 1.0
    return [{"at": iso(moment), "value": rounded(begin + (finish - begin) * (moment - run.started).total_seconds()
                                                 / span)} for moment in instants]


def _series(progress: Progress, attribute: str) -> list[dict]:
    return [{"at": iso(p.at), "value": getattr(p, attribute), "event": p.event, "issue_key": p.issue_key}
            for p in progress.points]


def _totals(progress: Progress) -> dict:
    first, last = progress.points[0], progress.points[-1]

    def total(event: str, amount) -> float:  # type: ignore[no-untyped-def]
        return rounded(sum(amount(p) for p in progress.points if p.event == event))  # type: ignore[return-value]

    return {"committed": first.scope, "committed_issues": progress.committed_issues,
            "committed_remaining": first.remaining,
            "added": total("added", lambda p: p.after or 0.0),
            "added_issues": sum(p.event == "added" for p in progress.points),
            "removed": total("removed", lambda p: p.before or 0.0),
            "removed_issues": sum(p.event == "removed" for p in progress.points),
            "estimate_change": total("estimate", lambda p: (p.after or 0.0) - (p.before or 0.0)),
            "scope": last.scope, "completed": last.completed, "completed_issues": progress.completed_issues,
            "remaining": last.remaining}


async def _progress(session: AsyncSession, *, actor: Actor, project: Project, sprint_ref: object | None,
                    estimate_ref: str | None, jql: str | None, now: datetime) -> tuple[Progress, dict]:
    catalog = await catalog_for(session, actor)
    estimate = resolve_estimate(catalog, estimate_ref)
    run = await access_report_sprint(session, actor, project, sprint_ref, now)
    selection = await select_issues(session, actor=actor, project=project, jql=jql, now=now)
    issues, ever = await load_sprint_issues(session, selection=selection, sprint_ids=[run.sprint.id],
                                            sprint_field=agile_fields(catalog).sprint, estimate=estimate,
                                            catalog=catalog)
    members = [issues[issue_id] for issue_id in sorted(ever[run.sprint.id])]
    progress = sprint_progress(run, members, now)
    head = {"project": {"id": project.id, "key": project.key, "name": project.name}, "sprint": run.view(),
            "estimate": estimate.view(), "jql": jql or None,
            "as_of": iso(now if run.planned else progress.stop)}
    return progress, head


async def burndown_report(session: AsyncSession, *, actor: Actor, project: Project, sprint_ref: object | None = None,
                          estimate_ref: str | None = None, jql: str | None = None, now: datetime) -> Report:
    progress, head = await _progress(session, actor=actor, project=project, sprint_ref=sprint_ref,
                                     estimate_ref=estimate_ref, jql=jql, now=now)
    ideal_at, actual_at = _instants(progress.run, progress.stop)
    data = {**head, "ideal": _guideline(progress.run, ideal_at, progress.points[0].remaining, 0.0),
            "actual": [] if progress.run.planned else _sampled(progress, actual_at, "remaining"),
            "remaining": _series(progress, "remaining"),
            "scope_changes": [{"at": iso(p.at), "issue_key": p.issue_key, "change": p.event,
                               "from_estimate": p.before, "to_estimate": p.after}
                              for p in progress.points if p.event in ("added", "removed", "estimate")],
            "completed_issues": [{"at": iso(p.at), "issue_key": p.issue_key, "change": p.event, "estimate": p.after}
                                 for p in progress.points if p.event in ("completed", "reopened")],
            "totals": _totals(progress)}
    return _series_report("burndown", data, ("ideal", "actual", "remaining"))


async def burnup_report(session: AsyncSession, *, actor: Actor, project: Project, sprint_ref: object | None = None,
                        estimate_ref: str | None = None, jql: str | None = None, now: datetime) -> Report:
    progress, head = await _progress(session, actor=actor, project=project, sprint_ref=sprint_ref,
                                     estimate_ref=estimate_ref, jql=jql, now=now)
    ideal_at, _ = _instants(progress.run, progress.stop)
    data = {**head, "scope": _series(progress, "scope"), "completed": _series(progress, "completed"),
            "ideal": _guideline(progress.run, ideal_at, 0.0, progress.points[0].scope),
            "totals": _totals(progress)}
    return _series_report("burnup", data, ("scope", "completed", "ideal"))


def _series_report(name: str, data: dict, series: tuple[str, ...]) -> Report:
    rows = [[label, point["at"], point["value"], point.get("event"), point.get("issue_key")]
            for label in series for point in data[label]]
    title = f"{data['sprint']['name']}: {'burndown' if name == 'burndown' else 'burnup'} ({data['estimate']['label']})"
    return Report(name, data, ["series", "at", "value", "event", "issue_key"], rows,
                  lambda: charts.time_series_chart(title, [(label, data[label], label != "ideal" and label != "actual")
                                                           for label in series]))
