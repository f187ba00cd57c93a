"""A project's Slack channel: issue events of a project that set a channel webhook become one
batched delivery per issue. The first change opens a batch (`batch_key` "s:{project}:{issue}",
sent `notify_batch_seconds` later); changes within that window join it, so a burst of edits
posts one message listing them all.

Joining is a guarded UPDATE of the open (still pending) batch's payload; on PostgreSQL the batch
row is locked first (FOR UPDATE), and the worker claims with SKIP LOCKED, so a batch is either
joined or sent, never both. When the batch was claimed meanwhile, the change opens the next one.
The window is fixed from the first change (never extended), bounding the delay.

This is the simple form: the fan-out's batching (tessera.notifications.batching) is the one home
for the rules of per-recipient batches; this handler should join its helpers when they are
merged. Restricted comments (visible to one project role) are never posted to a channel, whose
members Tessera does not know."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import NewDelivery, enqueue
from tessera.delivery.models import Channel, Delivery, DeliveryState
from tessera.events.models import OutboxEvent
from tessera.events.types import CommentAdded, IssueCreated, IssueDeleted, IssueUpdated, StatusChanged
from tessera.issues.views import iso
from tessera.notifications.slack.models import SlackTarget

# What a team channel wants to read; ranks, worklogs and edits of comments would be noise.
PROJECT_CHANNEL_EVENTS = (IssueCreated, IssueDeleted, IssueUpdated, StatusChanged, CommentAdded)


def change_entry(event: OutboxEvent) -> dict[str, Any]:
    """One change of a notification payload (the fan-out's contract)."""
    return {"event_id": event.id, "event_type": event.event_type, "actor_id": event.actor_id,
            "at": iso(event.created_at), "payload": event.payload}


async def enqueue_project_slack(session: AsyncSession, event: OutboxEvent, *, batch_seconds: float) -> bool:
    """Add the event to its issue's open channel batch, or open one; False when the project has
    no channel (or the event is not for one). Safe to run twice for one event."""
    payload = event.payload
    project_id, issue_id = payload.get("project_id"), payload.get("issue_id")
    if not project_id or not issue_id or payload.get("visibility"):
        return False
    has_channel = await session.scalar(select(SlackTarget.id).where(
        SlackTarget.organization_id == event.organization_id, SlackTarget.project_id == project_id))
    if has_channel is None:
        return False
    batch_key = f"s:{project_id}:{issue_id}"
    query = select(Delivery.id, Delivery.payload).where(
        Delivery.organization_id == event.organization_id, Delivery.batch_key == batch_key,
        Delivery.channel == Channel.SLACK.value, Delivery.state == DeliveryState.PENDING.value
    ).order_by(Delivery.id.desc()).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    open_batch = (await session.execute(query)).first()
    if open_batch is not None:
        changes = list(open_batch.payload.get("changes") or [])
        if any(change.get("event_id") == event.id for change in changes):
            return True
        joined = await session.execute(
            update(Delivery).where(Delivery.id == open_batch.id, Delivery.state == DeliveryState.PENDING.value)
            .values(payload={**open_batch.payload, "changes": [*changes, change_entry(event)]}, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if joined.rowcount == 1:
            return True
    await enqueue(session, [NewDelivery(
        organization_id=event.organization_id, channel=Channel.SLACK, target=f"slack: project {project_id}",
        idempotency_key=f"slack:project:{project_id}:event:{event.id}", event_type=event.event_type,
        event_id=event.id, target_id=project_id, batch_key=batch_key,
        not_before=utcnow() + timedelta(seconds=batch_seconds),
        payload={"kind": "issue", "recipient_id": None, "project_id": project_id, "issue_id": issue_id,
                 "issue_key": payload.get("issue_key"), "changes": [change_entry(event)]})])
    return True


class ProjectSlackHandler:
    """The worker's handler (a tessera.workers.runner.BatchHandler; tessera.workers.registry
    registers it for PROJECT_CHANNEL_EVENTS). Few projects set a channel: one read finds which of
    the batch's projects did, and only their events take the writer's transaction."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.database = database
        self.batch_seconds = settings.notify_batch_seconds

    async def __call__(self, event: OutboxEvent) -> None:
        await self.handle_batch([event])

    async def handle_batch(self, events: Sequence[OutboxEvent]) -> None:
        projects = {(event.organization_id, event.payload.get("project_id")) for event in events}
        async with self.database.unit_of_work(write=False) as session:
            with_channel = await _with_channel(session, projects)
        if not with_channel:
            return
        async with self.database.unit_of_work() as session:
            for event in events:
                if (event.organization_id, event.payload.get("project_id")) in with_channel:
                    await enqueue_project_slack(session, event, batch_seconds=self.batch_seconds)


async def _with_channel(session: AsyncSession, projects: set[tuple[int, Any]]) -> set[tuple[int, int]]:
    """Of these (organization, project) pairs, those whose project posts to a Slack channel."""
    wanted = {(org, project) for org, project in projects if isinstance(project, int)}
    if not wanted:
        return set()
    rows = (await session.execute(select(SlackTarget.organization_id, SlackTarget.project_id).where(
        SlackTarget.organization_id.in_(sorted({org for org, _ in wanted})),
        SlackTarget.project_id.in_(sorted({project for _, project in wanted}))))).all()
    return {(org, project) for org, project in rows} & wanted
