"""Change history: what changed, from what to what, by whom, written with the change itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.events.outbox import StatementEvents, emit_all
from tessera.events.types import IssueEvent
from tessera.issues.models import ChangeGroup, ChangeItem, Issue
from tessera.issues.sql.history import CHANGE_ITEM_FIELDS, RECORD_CHANGE

_INSERT_GROUP = insert(ChangeGroup.__table__).returning(ChangeGroup.__table__.c.id)
_INSERT_ITEM = insert(ChangeItem.__table__)


@dataclass(frozen=True)
class FieldChange:
    field: str  # display name, as Jira's changelog shows it ("status", "Story Points")
    field_id: str  # stable id ("status", "customfield_10001")
    from_value: str | None
    from_string: str | None
    to_value: str | None
    to_string: str | None
    field_type: str = "jira"


async def record_changes(session: AsyncSession, *, issue: Issue, author_id: int | None,
                         changes: Sequence[FieldChange], at: datetime) -> int | None:
    """One change group with its items; returns the group id (None when nothing changed)."""
    if not changes:
        return None
    # Core statements on the session's connection: the ORM's bulk-insert machinery costs more than the writes.
    connection = await session.connection()
    group_id = (await connection.execute(_INSERT_GROUP, dict(
        organization_id=issue.organization_id, issue_id=issue.id, author_id=author_id, created_at=at))).scalar_one()
    await connection.execute(_INSERT_ITEM, [
        {"organization_id": issue.organization_id, "group_id": group_id, "issue_id": issue.id,
         **{name: getattr(change, name) for name in CHANGE_ITEM_FIELDS}, "author_id": author_id, "created_at": at}
        for change in changes
    ])
    return group_id


async def record_change_and_events(session: AsyncSession, *, issue: Issue, author_id: int | None,
                                   changes: Sequence[FieldChange], at: datetime,
                                   events: Sequence[IssueEvent]) -> None:
    """The history of one change (one group with its items) and its outbox events about the issue,
    written together: one statement on PostgreSQL (tessera.issues.sql.history); elsewhere the group, its items and
    the events take a statement each."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql" or not changes:
        await record_changes(session, issue=issue, author_id=author_id, changes=changes, at=at)
        await emit_all(session, events, organization_id=issue.organization_id, aggregate_id=issue.id,
                       actor_id=author_id)
        return
    carried = StatementEvents.of(events)
    row = (await connection.execute(RECORD_CHANGE, {
        "org": issue.organization_id, "issue": issue.id, "author": author_id, "at": at,
        **history_arrays(changes), **carried.parameters()})).one()
    carried.remember(session, row.event_ids, organization_id=issue.organization_id, aggregate_id=issue.id,
                     actor_id=author_id, created_at=at)


def history_arrays(changes: Sequence[FieldChange]) -> dict[str, list]:
    """The item arrays of tessera.issues.sql.history's statements, one per item field (the
    events' arrays come from events.outbox.StatementEvents)."""
    return {f"{name}s": [getattr(change, name) for change in changes] for name in CHANGE_ITEM_FIELDS}


def field_changes_payload(changes: Sequence[FieldChange]) -> dict[str, dict[str, str | None]]:
    """The `field_changes` of live and webhook messages: display values from and to."""
    return {change.field_id: {"from": change.from_string, "to": change.to_string} for change in changes}


async def load_changelog(session: AsyncSession, *, organization_id: int, issue_ids: Sequence[int]
                         ) -> dict[int, list[dict]]:
    if not issue_ids:
        return {}
    groups = (await session.execute(select(ChangeGroup).where(
        ChangeGroup.organization_id == organization_id, ChangeGroup.issue_id.in_(list(issue_ids)))
        .order_by(ChangeGroup.created_at, ChangeGroup.id))).scalars().all()
    items = (await session.execute(select(ChangeItem).where(
        ChangeItem.organization_id == organization_id, ChangeItem.issue_id.in_(list(issue_ids)))
        .order_by(ChangeItem.id))).scalars().all()
    by_group: dict[int, list[ChangeItem]] = {}
    for item in items:
        by_group.setdefault(item.group_id, []).append(item)
    histories: dict[int, list[dict]] = {issue_id: [] for issue_id in issue_ids}
    for group in groups:
        histories[group.issue_id].append({
            "id": group.id, "author_id": group.author_id, "created": group.created_at,
            "items": [{"field": i.field, "field_id": i.field_id, "field_type": i.field_type,
                       "from": i.from_value, "from_string": i.from_string,
                       "to": i.to_value, "to_string": i.to_string} for i in by_group.get(group.id, [])],
        })
    return histories
