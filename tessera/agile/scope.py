"""A sprint's scope record, for burndown and velocity (see SprintScopeChange).

Snapshots are written as they happen: `committed` (every issue in the sprint when it starts),
`completed` / `incomplete` (every issue still in it when it completes, by status category).
Changes while it runs (`added`, `removed`, `estimate`) are derived from the issues' change
history, which every path that changes an issue writes (the board, the sprint endpoints, a
plain issue edit): `sync_scope_changes` turns the sprint's history items since it started into
rows, each naming its change item, so running it again adds only what is new. It runs in every
agile write and before a sprint's scope is read; a report may call it first too."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import AgileFields, estimates_of, history_field_id, sprint_members, sprints_of
from tessera.agile.models import Sprint, SprintScopeChange
from tessera.issues.models import ChangeItem, Issue
from tessera.issues.references import OrgCatalog
from tessera.issues.security import readable_issue_conditions
from tessera.tenancy.actor import Actor

_SCOPE = SprintScopeChange.__table__


def _number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None


@dataclass(frozen=True)
class _Item:
    id: int
    group_id: int
    field_id: str
    from_value: str | None
    to_value: str | None
    author_id: int | None
    created_at: datetime


def _value_at(items: list[_Item], moment: datetime, *, inclusive: bool, current: str | None) -> str | None:
    """A field's raw value at `moment` from its history (`items` oldest first): the last change
    up to then, else what the first later change changed from, else the current value."""
    last = None
    for item in items:
        if item.created_at < moment or (inclusive and item.created_at == moment):
            last = item
        else:
            return last.to_value if last is not None else item.from_value
    return last.to_value if last is not None else current


async def do_snapshot(session: AsyncSession, *, sprint: Sprint, fields: AgileFields, catalog: OrgCatalog,
                      at: datetime, actor_id: int | None, completing: bool) -> dict[str, list[int]]:
    """Record every issue in the sprint now: `committed` on start, `completed` (status category
    done) or `incomplete` on completion. Returns the issue ids by kind."""
    org = sprint.organization_id
    members = list(await sprint_members(session, org, fields, [sprint.id]))
    statuses = dict((await session.execute(select(Issue.id, Issue.status_id).where(
        Issue.organization_id == org, Issue.id.in_(members)))).all()) if members else {}
    estimates = await estimates_of(session, org, fields, members)
    kinds: dict[str, list[int]] = {"committed": [], "completed": [], "incomplete": []}
    rows = []
    for issue_id in sorted(statuses):
        category = catalog.status(statuses[issue_id]).category
        kind = ("completed" if category == "done" else "incomplete") if completing else "committed"
        kinds[kind].append(issue_id)
        rows.append({"organization_id": org, "sprint_id": sprint.id, "issue_id": issue_id, "change": kind, "at": at,
                     "from_estimate": None, "to_estimate": estimates.get(issue_id), "status_category": category,
                     "actor_id": actor_id, "change_item_id": None})
    if rows:
        await (await session.connection()).execute(insert(_SCOPE), rows)
    return kinds


async def sync_scope_changes(session: AsyncSession, *, sprint: Sprint, activated_at: datetime | None,
                             fields: AgileFields) -> int:
    """Add the rows for history items of the sprint (or, for issues in it, of their estimate)
    between its start and its completion that are not recorded yet; returns how many."""
    if activated_at is None:
        return 0
    org, sprint_key = sprint.organization_id, str(sprint.id)
    sprint_field = history_field_id(fields.sprint)
    estimate_field = history_field_id(fields.estimate) if fields.estimate else None
    touched = select(ChangeItem.issue_id).where(
        ChangeItem.organization_id == org, ChangeItem.field_id == sprint_field,
        or_(ChangeItem.from_value == sprint_key, ChangeItem.to_value == sprint_key))
    candidates = set(await sprint_members(session, org, fields, [sprint.id])) | \
        set((await session.scalars(touched.distinct())).all())
    if not candidates:
        return 0
    wanted_fields = [sprint_field, *([estimate_field] if estimate_field else [])]
    found = (await session.execute(select(
        ChangeItem.issue_id, ChangeItem.id, ChangeItem.group_id, ChangeItem.field_id, ChangeItem.from_value,
        ChangeItem.to_value, ChangeItem.author_id, ChangeItem.created_at).where(
        ChangeItem.organization_id == org, ChangeItem.issue_id.in_(sorted(candidates)),
        ChangeItem.field_id.in_(wanted_fields)).order_by(ChangeItem.created_at, ChangeItem.id))).all()
    history: dict[tuple[int, str], list[_Item]] = defaultdict(list)
    for row in found:
        history[(row.issue_id, row.field_id)].append(_Item(*row[1:]))
    current_sprints = await sprints_of(session, org, fields, sorted(candidates))
    current_estimates = await estimates_of(session, org, fields, sorted(candidates))
    recorded = set((await session.scalars(select(SprintScopeChange.change_item_id).where(
        SprintScopeChange.organization_id == org, SprintScopeChange.sprint_id == sprint.id,
        SprintScopeChange.change_item_id.is_not(None)))).all())

    def in_window(item: _Item) -> bool:
        return item.created_at >= activated_at and (sprint.completed_at is None or
                                                    item.created_at < sprint.completed_at)

    rows = []
    for issue_id in sorted(candidates):
        moves = history.get((issue_id, sprint_field), [])
        estimates = history.get((issue_id, estimate_field), []) if estimate_field else []
        now_sprint = str(current_sprints[issue_id]) if issue_id in current_sprints else None
        now_estimate = str(current_estimates[issue_id]) if issue_id in current_estimates else None
        move_groups = {item.group_id for item in moves}
        for item in moves:
            if item.id in recorded or not in_window(item) or sprint_key not in (item.from_value, item.to_value):
                continue
            entering = item.to_value == sprint_key
            estimate = _number(_value_at(estimates, item.created_at, inclusive=entering, current=now_estimate))
            rows.append(_row(sprint, issue_id, item, "added" if entering else "removed",
                             None if entering else estimate, estimate if entering else None))
        for item in estimates:
            if item.id in recorded or not in_window(item) or item.group_id in move_groups:
                continue  # an estimate set with the move into or out of the sprint travels with it
            if _value_at(moves, item.created_at, inclusive=True, current=now_sprint) == sprint_key:
                rows.append(_row(sprint, issue_id, item, "estimate", _number(item.from_value),
                                 _number(item.to_value)))
    if rows:
        await (await session.connection()).execute(insert(_SCOPE), rows)
    return len(rows)


def _row(sprint: Sprint, issue_id: int, item: _Item, change: str, before: float | None,
         after: float | None) -> dict:
    return {"organization_id": sprint.organization_id, "sprint_id": sprint.id, "issue_id": issue_id,
            "change": change, "at": item.created_at, "from_estimate": before, "to_estimate": after,
            "status_category": None, "actor_id": item.author_id, "change_item_id": item.id}


async def list_scope_changes(session: AsyncSession, sprint: Sprint, actor: Actor
                             ) -> list[tuple[SprintScopeChange, str]]:
    """The sprint's record, oldest first, with each issue's key: only the issues the actor may
    see (their project and security level), so neither rows nor totals tell of the others."""
    rows = await session.execute(select(SprintScopeChange, Issue.key).join(
        Issue, Issue.id == SprintScopeChange.issue_id).where(
        SprintScopeChange.organization_id == sprint.organization_id, SprintScopeChange.sprint_id == sprint.id,
        *await readable_issue_conditions(session, actor))
        .order_by(SprintScopeChange.at, SprintScopeChange.id))
    return [(change, key) for change, key in rows.all()]


def scope_view(changes: list[tuple[SprintScopeChange, str]]) -> dict:
    """The record as clients read it, with totals per kind (counts, and estimates where set)."""
    def iso(value: datetime) -> str:
        return value.isoformat().replace("+00:00", "Z")

    totals: dict[str, dict[str, float]] = {}
    for change, _ in changes:
        total = totals.setdefault(change.change, {"count": 0, "estimate": 0.0})
        total["count"] += 1
        total["estimate"] += (change.to_estimate or 0.0) - (change.from_estimate or 0.0) \
            if change.change == "estimate" else (change.to_estimate or change.from_estimate or 0.0)
    return {"totals": totals, "changes": [
        {"issue_id": change.issue_id, "issue_key": key, "change": change.change, "at": iso(change.at),
         "from_estimate": change.from_estimate, "to_estimate": change.to_estimate,
         "status_category": change.status_category, "actor_id": change.actor_id,
         "change_item_id": change.change_item_id} for change, key in changes]}
