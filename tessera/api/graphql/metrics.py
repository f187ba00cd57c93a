"""The adapter between GraphQL's `metrics` and `burndown` fields and the reports behind them.

The resolvers call only these four functions. The flow metrics are tessera.reports', so GraphQL
and the reports agree (both read resolution and sprint membership from the history):

* velocity: the velocity report's average completed work per sprint completed within the
  timeframe (story points; issues when the organization has no Story Points field).
* lead time and cycle time: the cycle-time report's medians, over the issues resolved within
  the timeframe.
* burndown (still computed here, not yet by reports/burndown.py): the work left in a sprint at
  the start of each day of it (`actual`, up to now or its completion), the straight line from
  its starting scope to zero (`ideal`), and `remaining` now.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import AgileFields, agile_fields, estimates_of, history_field_id, sprints_of
from tessera.agile.models import Sprint
from tessera.api.graphql.timeframe import Timeframe
from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.issues.models import ChangeItem, CustomFieldValue, Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.security import readable_issue_conditions
from tessera.projects.models import Project
from tessera.reports.flow import median_cycle_time, median_lead_time
from tessera.reports.velocity import average_velocity
from tessera.tenancy.actor import Actor

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Burndown:
    dates: list[datetime]
    ideal: list[float]
    actual: list[float]
    remaining: float
    unit: str  # "story points" | "issues"


async def _fields(session: AsyncSession, actor: Actor) -> tuple[OrgCatalog, AgileFields | None]:
    catalog = await catalog_for(session, actor)
    try:
        return catalog, agile_fields(catalog)
    except InvalidInput:  # an organization without a Sprint field has no sprints to measure
        return catalog, None


async def velocity(session: AsyncSession, actor: Actor, project: Project, timeframe: Timeframe) -> float | None:
    found = await average_velocity(session, actor=actor, project=project, since=timeframe.since, now=timeframe.now)
    return _shown(found)


async def lead_time(session: AsyncSession, actor: Actor, project: Project, timeframe: Timeframe) -> float | None:
    found = await median_lead_time(session, actor=actor, project=project, since=timeframe.since, now=timeframe.now)
    return _shown(found)


async def cycle_time(session: AsyncSession, actor: Actor, project: Project, timeframe: Timeframe) -> float | None:
    found = await median_cycle_time(session, actor=actor, project=project, since=timeframe.since, now=timeframe.now)
    return _shown(found)


def _shown(value: float | None) -> float | None:
    """GraphQL has always answered these to two decimals."""
    return None if value is None else round(value, 2)


def _value_at(changes: list[tuple[datetime, str | None, str | None]], moment: datetime, current: str | None
              ) -> str | None:
    """A field's raw value at `moment` from its history (oldest first): the last change up to
    then, else what the first later change changed from, else its current value."""
    seen, value = False, None
    for at, before, after in changes:
        if at > moment:
            return value if seen else before
        seen, value = True, after
    return value if seen else current


async def burndown(session: AsyncSession, actor: Actor, sprint: Sprint) -> Burndown:
    catalog, fields = await _fields(session, actor)
    if fields is None:
        return Burndown([], [], [], 0.0, "issues")
    org, key = actor.organization_id, str(sprint.id)
    unit = "story points" if fields.estimate is not None else "issues"
    sprint_field = history_field_id(fields.sprint)
    estimate_field = history_field_id(fields.estimate) if fields.estimate is not None else None
    touched = select(ChangeItem.issue_id).where(
        ChangeItem.organization_id == org, ChangeItem.field_id == sprint_field,
        (ChangeItem.from_value == key) | (ChangeItem.to_value == key)).distinct()
    members = set((await session.scalars(select(CustomFieldValue.issue_id).where(
        CustomFieldValue.organization_id == org, CustomFieldValue.field_id == fields.sprint.id,
        CustomFieldValue.value_ref == sprint.id))).all())
    candidates = sorted(members | set((await session.scalars(touched)).all()))
    wanted = ["status", sprint_field, *([estimate_field] if estimate_field else [])]
    history: dict[tuple[int, str], list[tuple[datetime, str | None, str | None]]] = defaultdict(list)
    statuses: dict[int, int] = {}
    if candidates:
        for row in (await session.execute(select(
                ChangeItem.issue_id, ChangeItem.field_id, ChangeItem.created_at, ChangeItem.from_value,
                ChangeItem.to_value).where(ChangeItem.organization_id == org, ChangeItem.issue_id.in_(candidates),
                                           ChangeItem.field_id.in_(wanted))
                .order_by(ChangeItem.created_at, ChangeItem.id))).all():
            history[(row.issue_id, row.field_id)].append((row.created_at, row.from_value, row.to_value))
        # Only the issues the reader may see count (their project and security level).
        statuses = dict((await session.execute(select(Issue.id, Issue.status_id).where(
            *await readable_issue_conditions(session, actor), Issue.id.in_(candidates)))).all())
    current_sprints = await sprints_of(session, org, fields, candidates)
    current_estimates = await estimates_of(session, org, fields, candidates)

    def left_at(moment: datetime) -> float:
        total = 0.0
        for issue_id in statuses:
            now_sprint = str(current_sprints[issue_id]) if issue_id in current_sprints else None
            if _value_at(history[(issue_id, sprint_field)], moment, now_sprint) != key:
                continue
            status = _value_at(history[(issue_id, "status")], moment, str(statuses[issue_id]))
            status_id = parse_id(status)
            if status_id is not None and catalog.status(status_id).category == "done":
                continue
            if estimate_field is None:
                total += 1.0
                continue
            now_estimate = str(current_estimates[issue_id]) if issue_id in current_estimates else None
            raw = _value_at(history[(issue_id, estimate_field)], moment, now_estimate)
            try:
                total += float(raw) if raw not in (None, "") else 0.0
            except ValueError:
                pass
        return round(total, 2)

    now = datetime.now(UTC)
    if sprint.start_at is None:
        return Burndown([], [], [], left_at(now), unit)
    start = sprint.start_at
    end = sprint.end_at if sprint.end_at is not None and sprint.end_at > start else start + 14 * DAY
    # A closed sprint is read just before its completion moved its unfinished issues out.
    stop = now if sprint.completed_at is None else min(sprint.completed_at - timedelta(microseconds=1), now)
    steps = math.ceil((end - start) / DAY)
    dates = [min(start + i * DAY, end) for i in range(steps + 1)]
    committed = left_at(start)
    length = (end - start).total_seconds()
    ideal = [round(committed * max(0.0, (end - at).total_seconds() / length), 2) for at in dates]
    actual = [left_at(at) for at in dates if at <= stop]
    return Burndown(dates, ideal, actual, left_at(stop), unit)
