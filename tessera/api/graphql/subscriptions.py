"""Subscriptions over WebSocket (graphql-transport-ws): the changes of one issue, or of every issue
of a project, as they commit. They ride the live hub exactly as /v2/.../live connections do, so
tenancy and permissions are checked on every message the same way: only the subscriber's
organization, only issues it may browse, restricted comments only for their role; losing access
ends the subscription with FORBIDDEN (UNAUTHENTICATED when deactivated).

The first event is `subscribed`, carrying `lastEventId`: the outbox position the subscription
starts after. Resubscribing with `lastEventId` replays what was missed, in order, with no
duplicate (or sends `resync_required` when too much was)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from tessera.api.graphql.nodes import Ctx
from tessera.edge.live import LiveKind, resolve_live_scope
from tessera.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied, TesseraError
from tessera.live.registry import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED


@strawberry.type
class FieldChange:
    field: str
    from_value: str | None = strawberry.field(name="from")
    to_value: str | None = strawberry.field(name="to")


@strawberry.type(description="A committed change: issue_created, issue_updated, status_changed, comment_added, "
                             "comment_updated, comment_deleted, issue_deleted or issue_ranked; first of all "
                             "`subscribed`; "
                             "`resync_required` when a replay would be too long.")
class IssueEvent:
    type: str
    event_id: int | None = strawberry.field(description="The outbox position; resume after it with lastEventId.")
    issue_id: strawberry.ID | None
    issue_key: str | None
    project_id: strawberry.ID | None
    user_id: strawberry.ID | None = strawberry.field(description="Who made the change.")
    timestamp: datetime | None
    field_changes: list[FieldChange]
    last_event_id: int | None = strawberry.field(description="On `subscribed`: where this subscription starts.")
    data: JSON = strawberry.field(description="The whole message data, as /v2/.../live sends it.")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def event_from(message: dict) -> IssueEvent:
    data = message.get("data") or {}
    changes = data.get("field_changes") or {}
    timestamp = data.get("timestamp")
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00")) if isinstance(timestamp, str) else None
    except ValueError:
        moment = None
    return IssueEvent(
        type=message["type"], event_id=message.get("id"), issue_id=_text(data.get("issue_id")),
        issue_key=data.get("issue_key"), project_id=_text(data.get("project_id")), user_id=_text(data.get("user_id")),
        timestamp=moment, last_event_id=data.get("last_event_id"), data=data,
        field_changes=[FieldChange(field=name, from_value=_text(change.get("from")), to_value=_text(change.get("to")))
                       for name, change in changes.items() if isinstance(change, dict)])


@dataclass(frozen=True)
class _Closed:
    code: int
    reason: str


def _ending(closed: _Closed) -> TesseraError:
    if closed.code == CLOSE_UNAUTHENTICATED:
        return NotAuthenticated(closed.reason)
    if closed.code == CLOSE_FORBIDDEN:
        return PermissionDenied(closed.reason)
    return Conflict(f"{closed.reason} Subscribe again with lastEventId.", code="resubscribe")


async def follow(info: Ctx, kind: LiveKind, ref: str, last_event_id: int | None) -> AsyncGenerator[IssueEvent, None]:
    if last_event_id is not None and last_event_id < 0:
        raise InvalidInput("lastEventId is a non-negative event id.", field="lastEventId")
    scope = await resolve_live_scope(info.context.database, info.context.subscriber(), kind=kind, ref=ref)
    hub, actor = info.context.hub, info.context.subscriber()
    inbox: asyncio.Queue[str | _Closed] = asyncio.Queue()

    async def send(text: str) -> None:
        inbox.put_nowait(text)

    async def close(code: int, reason: str) -> None:
        inbox.put_nowait(_Closed(code, reason))

    connection = await hub.open(actor=actor, scope=scope, send=send, close=close)
    sender: asyncio.Task[None] | None = None
    try:
        async with connection.send_lock:
            start = last_event_id if last_event_id is not None else await hub.cursor(scope.organization_id)
            if last_event_id is not None:
                await hub.replay(connection, last_event_id)  # queued behind `subscribed` below
        sender = asyncio.create_task(connection.run_sender(), name=f"graphql-live-{connection.id}")
        yield event_from({"type": "subscribed", "data": {
            "issue_id": scope.issue_id, "project_id": scope.project_id, "last_event_id": start}})
        while True:
            item = await inbox.get()
            if isinstance(item, _Closed):
                raise _ending(item)
            message = json.loads(item)
            # Presence and typing are for the /live protocol; events and resync_required are ours.
            if message.get("id") is not None or message.get("type") == "resync_required":
                yield event_from(message)
    finally:
        if sender is not None:
            sender.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await sender
        await hub.close(connection)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Changes of one issue (by id or key) as they commit.")
    async def issue_changed(self, info: Ctx, issue_id: strawberry.ID,
                            last_event_id: int | None = None) -> AsyncGenerator[IssueEvent, None]:
        async for event in follow(info, "issue", str(issue_id), last_event_id):
            yield event

    @strawberry.subscription(description="Changes of every issue of a project (by id or key) as they commit.")
    async def project_issues(self, info: Ctx, project_id: strawberry.ID,
                             last_event_id: int | None = None) -> AsyncGenerator[IssueEvent, None]:
        async for event in follow(info, "project", str(project_id), last_event_id):
            yield event
