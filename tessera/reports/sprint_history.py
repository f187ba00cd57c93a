"""The issues of one or more sprints with their sprint, done-ness and estimate over time.

An issue belongs to a sprint's reports if it is in the sprint now or its history shows it
entering or leaving it (the Sprint field's items carry sprint ids), so issues removed
mid-sprint and issues moved on at completion are counted for the time they were in it.

Only the history that can change an answer is read: the Sprint items naming the sprints asked
for (every move into or out of one of them names it, so "is it in this sprint at t" replays
exactly from those), the status items entering or leaving a Done status (which decide "is it
done at t" the same way), and the estimate's items (a number field's, or the time tracking
items `timeoriginalestimate` / `timeestimate`, whose current value is on the issue row). Six queries, each over the candidates as
an array of ids (PostgreSQL), whatever their number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import history_field_id
from tessera.issues.models import ChangeItem, CustomFieldValue, Issue
from tessera.issues.references import OrgCatalog
from tessera.projects.models import CustomFieldDefinition
from tessera.reports.estimates import Estimate
from tessera.reports.selection import Selection
from tessera.reports.timeline import Timeline, number, rows_for_ids

DONE, NOT_DONE = "1", "0"


@dataclass
class SprintIssue:
    id: int
    key: str
    summary: str
    created_at: datetime
    sprint: Timeline  # sprint ids (as text), from the items naming the sprints asked for
    done: Timeline  # DONE / NOT_DONE
    estimate: Timeline | None  # None when counting issues
    per_unit: float = 1.0  # stored amount per reported unit (seconds per hour for time estimates)

    def in_sprint(self, sprint_key: str, moment: datetime, *, inclusive: bool = True) -> bool:
        exists = self.created_at <= moment if inclusive else self.created_at < moment
        return exists and self.sprint.value_at(moment, inclusive=inclusive) == sprint_key

    def estimate_at(self, moment: datetime, *, inclusive: bool = True) -> float:
        if self.estimate is None:
            return 1.0
        return (number(self.estimate.value_at(moment, inclusive=inclusive)) or 0.0) / self.per_unit

    def done_at(self, moment: datetime, *, inclusive: bool = True) -> bool:
        return self.done.value_at(moment, inclusive=inclusive) == DONE

    def change_times(self, start: datetime, stop: datetime, *, stop_inclusive: bool) -> list[datetime]:
        lines = [self.sprint, self.done] + ([self.estimate] if self.estimate is not None else [])
        return sorted({t for line in lines for t in line.changes_between(start, stop, stop_inclusive=stop_inclusive)})


def done_status_ids(catalog: OrgCatalog) -> frozenset[str]:
    """Status ids (as history writes them) in the Done category."""
    return frozenset(str(status.id) for status in catalog.statuses if status.category == "done")


async def load_sprint_issues(session: AsyncSession, *, selection: Selection, sprint_ids: Sequence[int],
                             sprint_field: CustomFieldDefinition, estimate: Estimate, catalog: OrgCatalog
                             ) -> tuple[dict[int, SprintIssue], dict[int, set[int]]]:
    """({issue id: issue}, {sprint id: ids of issues ever in it}) for the issues of `selection`."""
    org = selection.organization_id
    ever: dict[int, set[int]] = {sprint_id: set() for sprint_id in sprint_ids}
    keys = [str(sprint_id) for sprint_id in sprint_ids]
    if not keys:
        return {}, ever
    connection = await session.connection()
    items, values = ChangeItem.__table__.c, CustomFieldValue.__table__.c
    sprint_lines: dict[int, Timeline] = {}
    for issue_id, at, before, after in (await connection.execute(select(
            items.issue_id, items.created_at, items.from_value, items.to_value).where(
            items.organization_id == org, items.field_id == history_field_id(sprint_field),
            or_(items.from_value.in_(keys), items.to_value.in_(keys))).order_by(items.created_at, items.id))).all():
        sprint_lines.setdefault(issue_id, Timeline(None)).add(at, before, after)
        for value in (before, after):
            if value in keys:
                ever[int(value)].add(issue_id)
    current: dict[tuple[int, int], str] = {}
    for issue_id, sprint_id in (await connection.execute(select(values.issue_id, values.value_ref).where(
            values.organization_id == org, values.field_id == sprint_field.id,
            values.value_ref.in_(list(sprint_ids))))).all():
        ever[sprint_id].add(issue_id)
        # Enough as the current value: an issue in none of these sprints answers "not in it" from its items.
        current[(issue_id, sprint_field.id)] = str(sprint_id)
    candidates = sorted(set().union(*ever.values()))
    column = Issue.__table__.c[estimate.issue_column] if estimate.issue_column else None
    issues = {row.id: row for row in await rows_for_ids(connection, lambda condition: select(
        Issue.id, Issue.key, Issue.summary, Issue.created_at, Issue.status_id,
        *([column.label("time_estimate")] if column is not None else [])).where(*selection.conditions, condition),
        Issue.id, candidates)}
    chosen = sorted(issues)
    if estimate.field is not None:
        estimate_id = estimate.field.id
        for issue_id, amount in await rows_for_ids(connection, lambda condition: select(
                values.issue_id, values.value_number).where(
                values.organization_id == org, values.field_id == estimate_id, condition), values.issue_id, chosen):
            if amount is not None:
                current[(issue_id, estimate_id)] = str(amount)
    done = sorted(done_status_ids(catalog))
    done_lines: dict[int, Timeline] = {}
    for issue_id, at, before, after in await rows_for_ids(connection, lambda condition: select(
            items.issue_id, items.created_at, items.from_value, items.to_value).where(
            items.organization_id == org, items.field_id == "status", condition,
            or_(items.from_value.in_(done), items.to_value.in_(done))).order_by(items.created_at, items.id),
            items.issue_id, chosen):
        done_lines.setdefault(issue_id, Timeline(None)).add(at, DONE if before in done else NOT_DONE,
                                                            DONE if after in done else NOT_DONE)
    estimate_lines: dict[int, Timeline] = {}
    if estimate.history_field_id is not None:
        for issue_id, at, before, after in await rows_for_ids(connection, lambda condition: select(
                items.issue_id, items.created_at, items.from_value, items.to_value).where(
                items.organization_id == org, items.field_id == estimate.history_field_id, condition)
                .order_by(items.created_at, items.id), items.issue_id, chosen):
            estimate_lines.setdefault(issue_id, Timeline(None)).add(at, before, after)
    found: dict[int, SprintIssue] = {}
    for issue_id, row in issues.items():
        sprint = sprint_lines.get(issue_id) or Timeline(None)
        sprint.current = current.get((issue_id, sprint_field.id))
        status = done_lines.get(issue_id) or Timeline(None)
        status.current = DONE if str(row.status_id) in done else NOT_DONE
        line = None
        if estimate.field is not None:
            line = estimate_lines.get(issue_id) or Timeline(None)
            line.current = current.get((issue_id, estimate.field.id))
        elif column is not None:
            line = estimate_lines.get(issue_id) or Timeline(None)
            line.current = None if row.time_estimate is None else str(row.time_estimate)
        found[issue_id] = SprintIssue(row.id, row.key, row.summary, row.created_at, sprint, status, line,
                                      estimate.stored_per_unit)
    return found, {sprint_id: ids & set(found) for sprint_id, ids in ever.items()}
