"""The issues of one or more sprints with their sprint, status and estimate over time.

An issue belongs to a sprint's reports if it is in the sprint now or its history shows it
entering or leaving it (the Sprint field's items carry sprint ids), so issues removed
mid-sprint and issues moved on at completion are counted for the time they were in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import history_field_id
from tessera.issues.catalog import OrgCatalog
from tessera.issues.models import ChangeItem, CustomFieldValue, Issue
from tessera.projects.models import CustomFieldDefinition
from tessera.reports.estimates import Estimate
from tessera.reports.selection import Selection
from tessera.reports.timeline import Timeline, chunks, load_histories, number, timeline


@dataclass
class SprintIssue:
    id: int
    key: str
    summary: str
    created_at: datetime
    sprint: Timeline
    status: Timeline
    estimate: Timeline | None  # None when counting issues

    def in_sprint(self, sprint_key: str, moment: datetime, *, inclusive: bool = True) -> bool:
        exists = self.created_at <= moment if inclusive else self.created_at < moment
        return exists and self.sprint.value_at(moment, inclusive=inclusive) == sprint_key

    def estimate_at(self, moment: datetime, *, inclusive: bool = True) -> float:
        if self.estimate is None:
            return 1.0
        return number(self.estimate.value_at(moment, inclusive=inclusive)) or 0.0

    def done_at(self, moment: datetime, done_ids: frozenset[str], *, inclusive: bool = True) -> bool:
        return self.status.value_at(moment, inclusive=inclusive) in done_ids

    def change_times(self, start: datetime, stop: datetime, *, stop_inclusive: bool) -> list[datetime]:
        lines = [self.sprint, self.status] + ([self.estimate] if self.estimate is not None else [])
        return sorted({t for line in lines for t in line.changes_between(start, stop, stop_inclusive=stop_inclusive)})


def done_status_ids(catalog: OrgCatalog) -> frozenset[str]:
    """Status ids (as history writes them) in the Done category."""
    return frozenset(str(status.id) for status in catalog.statuses if status.category == "done")


async def load_sprint_issues(session: AsyncSession, *, selection: Selection, sprint_ids: Sequence[int],
                             sprint_field: CustomFieldDefinition, estimate: Estimate
                             ) -> tuple[dict[int, SprintIssue], dict[int, set[int]]]:
    """({issue id: issue}, {sprint id: ids of issues ever in it}) for the issues of `selection`."""
    org = selection.organization_id
    sprint_history_id = history_field_id(sprint_field)
    keys = [str(sprint_id) for sprint_id in sprint_ids]
    ever: dict[int, set[int]] = {sprint_id: set() for sprint_id in sprint_ids}
    if not keys:
        return {}, ever
    moves = await session.execute(select(ChangeItem.issue_id, ChangeItem.from_value, ChangeItem.to_value).where(
        ChangeItem.organization_id == org, ChangeItem.field_id == sprint_history_id,
        or_(ChangeItem.from_value.in_(keys), ChangeItem.to_value.in_(keys))))
    for issue_id, before, after in moves.all():
        for value in (before, after):
            if value in keys:
                ever[int(value)].add(issue_id)
    members = await session.execute(select(CustomFieldValue.issue_id, CustomFieldValue.value_ref).where(
        CustomFieldValue.organization_id == org, CustomFieldValue.field_id == sprint_field.id,
        CustomFieldValue.value_ref.in_(list(sprint_ids))))
    for issue_id, sprint_id in members.all():
        ever[sprint_id].add(issue_id)
    candidates = sorted(set().union(*ever.values()))
    rows = []
    for part in chunks(candidates):
        rows += (await session.execute(select(Issue.id, Issue.key, Issue.summary, Issue.created_at, Issue.status_id)
                                       .where(*selection.conditions, Issue.id.in_(part)))).all()
    ids = [row.id for row in rows]
    current: dict[tuple[int, int], str] = {}
    value_fields = [sprint_field.id] + ([estimate.field.id] if estimate.field is not None else [])
    for part in chunks(ids):
        for issue_id, field_id, ref, amount in (await session.execute(select(
                CustomFieldValue.issue_id, CustomFieldValue.field_id, CustomFieldValue.value_ref,
                CustomFieldValue.value_number).where(
                CustomFieldValue.organization_id == org, CustomFieldValue.field_id.in_(value_fields),
                CustomFieldValue.issue_id.in_(part)))).all():
            raw = ref if field_id == sprint_field.id else amount
            if raw is not None:
                current[(issue_id, field_id)] = str(raw)
    wanted = [sprint_history_id, "status"] + ([estimate.history_field_id] if estimate.field is not None else [])
    histories = await load_histories(session, organization_id=org, issue_ids=ids, field_ids=[w for w in wanted if w])
    issues: dict[int, SprintIssue] = {}
    for row in rows:
        history = histories.get(row.id)
        issues[row.id] = SprintIssue(
            id=row.id, key=row.key, summary=row.summary, created_at=row.created_at,
            sprint=timeline(history, sprint_history_id, current.get((row.id, sprint_field.id))),
            status=timeline(history, "status", str(row.status_id)),
            estimate=timeline(history, estimate.history_field_id or "", current.get((row.id, estimate.field.id)))
            if estimate.field is not None else None)
    visible = set(issues)
    return issues, {sprint_id: found & visible for sprint_id, found in ever.items()}
