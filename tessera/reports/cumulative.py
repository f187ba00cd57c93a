"""Cumulative flow (issues per status at the end of each day) and created vs resolved (per day
or week), both from the history.

Cumulative flow only replays issues that changed in the window: an issue not updated since
before the window's first day kept its current status throughout, so those are counted with
one GROUP BY, and the rest (created or changed since) are replayed from their status items."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.issues.models import ChangeItem, Issue
from tessera.issues.references import catalog_for
from tessera.projects.models import Project
from tessera.reports import charts
from tessera.reports.periods import DAY, day_floor, iso, report_window, week_floor
from tessera.reports.report import Report
from tessera.reports.selection import select_issues
from tessera.reports.timeline import load_histories, timeline
from tessera.tenancy.actor import Actor

MAX_DAYS = 1_000
MAX_WEEKS_DAYS = 3_660
CATEGORY_ORDER = ("todo", "in_progress", "done")


async def cumulative_flow_report(session: AsyncSession, *, actor: Actor, project: Project, jql: str | None = None,
                                 start: str | None = None, end: str | None = None, period: str | None = None,
                                 now: datetime) -> Report:
    window = report_window(start=start, end=end, period=period, default_period="30d", now=now, max_days=MAX_DAYS)
    first = day_floor(window.start)
    day_count = max(1, -(-int((window.end - first).total_seconds()) // 86_400))
    catalog = await catalog_for(session, actor)
    selection = await select_issues(session, actor=actor, project=project, jql=jql, now=now)
    org = actor.organization_id
    base: dict[str, int] = defaultdict(int)
    static = await session.execute(select(Issue.status_id, func.count()).where(
        *selection.conditions, Issue.updated_at < first, Issue.created_at < first).group_by(Issue.status_id))
    for status_id, count in static.all():
        base[str(status_id)] += count
    moving = (await session.execute(select(Issue.id, Issue.created_at, Issue.status_id).where(
        *selection.conditions, Issue.created_at < window.end,
        or_(Issue.updated_at >= first, Issue.created_at >= first)))).all()
    histories = await load_histories(session, organization_id=org, issue_ids=[row.id for row in moving],
                                     field_ids=["status"])
    deltas: list[dict[str, int]] = [defaultdict(int) for _ in range(day_count)]

    def bucket(moment: datetime) -> int:
        return int((moment - first).total_seconds() // 86_400)

    for row in moving:
        line = timeline(histories.get(row.id), "status", str(row.status_id))
        if row.created_at < first:
            base[line.value_at(first, inclusive=False) or ""] += 1
        else:
            initial = line.befores[0] if line.times else line.current
            deltas[bucket(row.created_at)][initial or ""] += 1
        for at, before, after in zip(line.times, line.befores, line.afters, strict=True):
            if first <= at < window.end and at >= row.created_at:
                index = bucket(at)
                if 0 <= index < day_count:
                    deltas[index][before or ""] -= 1
                    deltas[index][after or ""] += 1
    counts, running = [], dict(base)
    for delta in deltas:
        for status_id, change in delta.items():
            running[status_id] = running.get(status_id, 0) + change
        counts.append(dict(running))
    seen = {status_id for day in counts for status_id, n in day.items() if n}
    known = {str(s.id): s for s in catalog.statuses}
    ordered = sorted(seen, key=lambda sid: (CATEGORY_ORDER.index(known[sid].category) if sid in known else 3,
                                            parse_id(sid) or 0))
    statuses = [{"id": parse_id(sid), "name": known[sid].name if sid in known else
                 f"Status {sid}", "category": known[sid].category if sid in known else None} for sid in ordered]
    days = [{"date": (first + timedelta(days=index)).date().isoformat(), "counts": [day.get(sid, 0) for sid in ordered]}
            for index, day in enumerate(counts)]
    data = {"project": {"id": project.id, "key": project.key, "name": project.name}, "jql": jql or None,
            "window": {"from": iso(first), "to": iso(window.end)}, "statuses": statuses, "days": days}
    names = [status["name"] for status in statuses]
    title = f"{project.name}: cumulative flow"
    return Report("cumulative-flow", data, ["date", *names], [[day["date"], *day["counts"]] for day in days],
                  lambda: charts.stacked_area_chart(title, [day["date"] for day in days], statuses,
                                                    [day["counts"] for day in days]))


async def created_vs_resolved_report(session: AsyncSession, *, actor: Actor, project: Project | None,
                                     jql: str | None = None, start: str | None = None, end: str | None = None,
                                     period: str | None = None, interval: str = "day", cumulative: bool = False,
                                     now: datetime) -> Report:
    """Issues created per period, and resolutions per period (from the history: an issue
    resolved, reopened and resolved again counts at each resolution)."""
    if interval not in ("day", "week"):
        raise InvalidInput("interval is day or week.", field="interval")
    window = report_window(start=start, end=end, period=period, default_period="30d", now=now,
                           max_days=MAX_DAYS if interval == "day" else MAX_WEEKS_DAYS)
    floor = day_floor if interval == "day" else week_floor
    step = DAY if interval == "day" else timedelta(weeks=1)
    first = floor(window.start)
    starts = [first]
    while starts[-1] + step < window.end:
        starts.append(starts[-1] + step)
    selection = await select_issues(session, actor=actor, project=project, jql=jql, now=now)
    created = (await session.scalars(select(Issue.created_at).where(
        *selection.conditions, Issue.created_at >= first, Issue.created_at < window.end))).all()
    resolved = (await session.scalars(select(ChangeItem.created_at).where(
        ChangeItem.organization_id == actor.organization_id, ChangeItem.field_id == "resolution",
        ChangeItem.from_value.is_(None), ChangeItem.to_value.is_not(None), ChangeItem.created_at >= first,
        ChangeItem.created_at < window.end, ChangeItem.issue_id.in_(selection.ids())))).all()
    created_per, resolved_per = [0] * len(starts), [0] * len(starts)
    for moments, per in ((created, created_per), (resolved, resolved_per)):
        for moment in moments:
            per[bisect_right(starts, moment) - 1] += 1
    periods, created_total, resolved_total = [], 0, 0
    for index, period_start in enumerate(starts):
        created_total += created_per[index]
        resolved_total += resolved_per[index]
        periods.append({"period_start": period_start.date().isoformat(), "created": created_per[index],
                        "resolved": resolved_per[index], "created_cumulative": created_total,
                        "resolved_cumulative": resolved_total})
    data = {"project": {"id": project.id, "key": project.key, "name": project.name} if project else None,
            "jql": jql or None, "window": {"from": iso(first), "to": iso(window.end)}, "interval": interval,
            "cumulative": cumulative, "totals": {"created": created_total, "resolved": resolved_total},
            "periods": periods}
    columns = ["period_start", "created", "resolved", "created_cumulative", "resolved_cumulative"]
    title = f"{project.name if project else 'Issues'}: created vs resolved"
    return Report("created-vs-resolved", data, columns, [[p[c] for c in columns] for p in periods],
                  lambda: charts.created_resolved_chart(title, periods, cumulative))
