"""The in-app inbox: its sender (a delivery on the inbox channel becomes a notifications row)
and what a user reads and marks there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.db.insert_ignoring import insert_ignoring
from tessera.delivery.engine import ClaimedDelivery, Outcome
from tessera.errors import NotFound
from tessera.events.outbox import emit
from tessera.events.types import NotificationAdded
from tessera.issues.models import Issue
from tessera.notifications.models import Notification
from tessera.notifications.still_permitted import send_still_permitted
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.permissions import Permission, has_permission


async def unread_count(session: AsyncSession, *, organization_id: int, user_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(Notification).where(
        Notification.organization_id == organization_id, Notification.user_id == user_id,
        Notification.read_at.is_(None))) or 0)


async def do_write_entry(session: AsyncSession, delivery: ClaimedDelivery) -> int | None:
    """The inbox row of one delivery, and a NotificationAdded for the live bell, in the caller's
    transaction; None (and nothing written) when this delivery's row exists already."""
    payload = delivery.payload
    changes: list[dict[str, Any]] = list(payload.get("changes") or [])
    kinds = list(dict.fromkeys(str(change.get("kind") or change.get("event_type")) for change in changes))
    user_id = _recipient(delivery)
    table = Notification.__table__
    connection = await session.connection()
    inserted = (await connection.execute(
        insert_ignoring(connection.dialect.name, table, index_elements=["delivery_key"]).values(
            organization_id=delivery.organization_id, user_id=user_id, issue_id=payload.get("issue_id"),
            issue_key=payload.get("issue_key"), kind=str(payload.get("kind") or "issue"),
            event=kinds[0] if kinds else delivery.event_type, event_kinds=kinds,
            actor_id=changes[-1].get("actor_id") if changes else None, changes=changes,
            delivery_key=delivery.idempotency_key, created_at=utcnow()).returning(table.c.id))).first()
    if inserted is None:
        return None
    unread = await unread_count(session, organization_id=delivery.organization_id, user_id=user_id)
    await emit(session, NotificationAdded(user_id=user_id, notification_id=inserted[0], unread=unread),
               organization_id=delivery.organization_id, aggregate_id=user_id, actor_id=None)
    return int(inserted[0])


class InboxSender:
    """The inbox channel's Sender: one transaction for the whole batch."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        return await send_still_permitted(self.database, deliveries, self._write)

    async def _write(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        async with self.database.unit_of_work() as session:
            # A recipient deleted since would break the batch's transaction (a foreign key): such
            # deliveries fail for good, the others go on.
            known = {(org, uid) for org, uid in (await session.execute(select(User.organization_id, User.id).where(
                User.id.in_(sorted({_recipient(d) for d in deliveries}))))).all()}
            for delivery in deliveries:
                if (delivery.organization_id, _recipient(delivery)) not in known:
                    outcomes.append(Outcome.failed("the recipient no longer exists", retry=False))
                    continue
                await do_write_entry(session, delivery)
                outcomes.append(Outcome.delivered())
        return outcomes


def _recipient(delivery: ClaimedDelivery) -> int:
    return int(delivery.payload.get("recipient_id") or delivery.target_id or 0)


def _entry_view(row: Notification, issue: Any, actor: Any) -> dict[str, Any]:
    """`issue`: the issue as it is now, None when it is gone or the reader may no longer browse it."""
    issue_out: dict[str, Any] | None = None
    if row.issue_id is not None or row.issue_key is not None:
        issue_out = {"id": row.issue_id, "key": issue.key if issue is not None else row.issue_key,
                     "summary": issue.summary if issue is not None else None, "current": issue is not None}
    return {"id": row.id, "read": row.read_at is not None, "kind": row.kind, "issue": issue_out,
            "event": row.event, "events": row.event_kinds, "created": row.created_at.isoformat(),
            "actor": None if actor is None else {"id": actor.id, "display_name": actor.display_name},
            "changes": [{"event": change.get("kind") or change.get("event_type"), "event_id": change.get("event_id"),
                         "actor_id": change.get("actor_id"), "at": change.get("at"),
                         "issue_key": change.get("issue_key"), "payload": change.get("payload") or {}}
                        for change in row.changes]}


async def inbox_view(session: AsyncSession, *, actor: Actor, unread_only: bool, start_at: int,
                     max_results: int) -> dict[str, Any]:
    """The actor's inbox, newest first. The issue's key and summary are read now (an issue
    renamed since shows its new summary), from the actor's organization and only while the actor
    may still browse it: someone who lost access sees the entry as it was written, nothing newer."""
    organization_id, user_id = actor.organization_id, actor.user_id
    query = (select(Notification, Issue, Project, User)
             .outerjoin(Issue, (Issue.id == Notification.issue_id) & (Issue.organization_id == organization_id))
             .outerjoin(Project, Project.id == Issue.project_id)
             .outerjoin(User, (User.id == Notification.actor_id) & (User.organization_id == organization_id))
             .where(Notification.organization_id == organization_id, Notification.user_id == user_id))
    total_query = select(func.count()).select_from(Notification).where(
        Notification.organization_id == organization_id, Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
        total_query = total_query.where(Notification.read_at.is_(None))
    rows = (await session.execute(query.order_by(Notification.id.desc()).offset(start_at).limit(max_results))).all()
    browsable: dict[int, bool] = {}
    entries = []
    for row, issue, project, who in rows:
        if project is not None and project.id not in browsable:
            browsable[project.id] = await has_permission(session, actor, Permission.BROWSE_PROJECTS, project)
        entries.append(_entry_view(row, issue if project is not None and browsable[project.id] else None, who))
    return {"unread": await unread_count(session, organization_id=organization_id, user_id=user_id),
            "total": int(await session.scalar(total_query) or 0), "start_at": start_at, "max_results": max_results,
            "notifications": entries}


async def do_mark_read(session: AsyncSession, *, organization_id: int, user_id: int, notification_id: int) -> int:
    """Mark one entry read; NotFound for anyone else's. Returns the unread count after."""
    row = await session.scalar(select(Notification).where(
        Notification.organization_id == organization_id, Notification.user_id == user_id,
        Notification.id == notification_id))
    if row is None:
        raise NotFound("Notification not found.")
    if row.read_at is None:
        row.read_at = utcnow()
        await session.flush()
    return await unread_count(session, organization_id=organization_id, user_id=user_id)


async def do_mark_all_read(session: AsyncSession, *, organization_id: int, user_id: int) -> int:
    """Returns how many entries it marked."""
    result = await session.execute(update(Notification).where(
        Notification.organization_id == organization_id, Notification.user_id == user_id,
        Notification.read_at.is_(None)).values(read_at=utcnow()).execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)
