"""The issues resolved in a window, with their status history: what lead time, cycle time, the
control chart and time in status are measured on.

"Resolved" is read from the history (the resolution going from empty to a value), so an issue
resolved in March and reopened in April still counts for March; an issue resolved twice in the
window counts once, at its last resolution there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.models import ChangeItem, Issue
from tessera.issues.references import OrgCatalog
from tessera.reports.periods import Window
from tessera.reports.selection import Selection
from tessera.reports.timeline import Timeline, chunks, load_histories, timeline

MAX_ISSUES = 200_000


@dataclass(frozen=True)
class ResolvedIssue:
    id: int
    key: str
    issue_type: str
    created_at: datetime
    resolved_at: datetime
    status: Timeline

    def cycle_start(self, in_progress: frozenset[str]) -> datetime | None:
        """When it first entered an In Progress status (at creation, if it started in one), up
        to its resolution; None if it never did."""
        initial = self.status.befores[0] if self.status.times else self.status.current
        if initial in in_progress:
            return self.created_at
        for at, after in zip(self.status.times, self.status.afters, strict=True):
            if at > self.resolved_at:
                break
            if after in in_progress:
                return at
        return None

    def segments(self) -> list[tuple[str | None, float]]:
        """(status id, seconds) from creation to resolution, in order; instants left out."""
        pieces: list[tuple[str | None, float]] = []
        current = self.status.befores[0] if self.status.times else self.status.current
        since = self.created_at
        for at, after in zip(self.status.times, self.status.afters, strict=True):
            if at > self.resolved_at:
                break
            pieces.append((current, max(0.0, (at - since).total_seconds())))
            current, since = after, max(since, at)
        pieces.append((current, max(0.0, (self.resolved_at - since).total_seconds())))
        return [(status, seconds) for status, seconds in pieces if seconds > 0]


def category_ids(catalog: OrgCatalog, category: str) -> frozenset[str]:
    return frozenset(str(status.id) for status in catalog.statuses if status.category == category)


async def resolved_in(session: AsyncSession, *, selection: Selection, window: Window, catalog: OrgCatalog
                      ) -> list[ResolvedIssue]:
    """Ordered by resolution time, then key."""
    org = selection.organization_id
    events = await session.execute(select(ChangeItem.issue_id, ChangeItem.created_at).where(
        ChangeItem.organization_id == org, ChangeItem.field_id == "resolution", ChangeItem.from_value.is_(None),
        ChangeItem.to_value.is_not(None), ChangeItem.created_at >= window.start, ChangeItem.created_at < window.end,
        ChangeItem.issue_id.in_(selection.ids())).limit(MAX_ISSUES))
    resolved: dict[int, datetime] = {}
    for issue_id, at in events.all():
        if issue_id not in resolved or at > resolved[issue_id]:
            resolved[issue_id] = at
    ids = sorted(resolved)
    rows = []
    for part in chunks(ids):
        rows += (await session.execute(select(Issue.id, Issue.key, Issue.issue_type_id, Issue.created_at,
                                              Issue.status_id).where(Issue.organization_id == org,
                                                                     Issue.id.in_(part)))).all()
    histories = await load_histories(session, organization_id=org, issue_ids=ids, field_ids=["status"])
    types = {issue_type.id: issue_type.name for issue_type in catalog.issue_types}
    issues = [ResolvedIssue(row.id, row.key, types.get(row.issue_type_id, "Unknown"), row.created_at,
                            resolved[row.id], timeline(histories.get(row.id), "status", str(row.status_id)))
              for row in rows]
    return sorted(issues, key=lambda issue: (issue.resolved_at, issue.key))


def days(seconds: float) -> float:
    """Unrounded: statistics are computed on exact values and rounded when shown."""
    return seconds / 86_400
