"""What subscribers receive: outbox events mapped onto the seed's message shape, and the
envelopes server processes exchange.

A user's own stream (`/v2/notifications/live`) receives `{"type": "notification_added", "id",
"unread", "notification_id", "data": {...the same...}}` when an entry reaches their inbox; it
carries counts and ids only, never an issue's content, so no permission check is needed beyond
the user being who they are (the inbox API applies permissions when the entry is read).

A live message is `{"type", "id", "data": {"issue_id", "field_changes", "user_id",
"timestamp", ...}}`: the seed's keys always, the event's own payload keys beside them, and `id`
the outbox event id (what a client sends back as `last_event_id` to resume). Presence and typing
are ephemeral and carry no id.

Envelopes are plain JSON-able dicts (`"k"` says which kind) so the same code serves the
in-process broker and Redis. An event's message text is encoded once, by the process that
publishes it, and sent as is to every subscriber that may see it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tessera.events.models import OutboxEvent
from tessera.events.outbox import EmittedEvent
from tessera.events.types import (
    AttachmentAdded,
    AttachmentDeleted,
    CatalogChanged,
    CommentAdded,
    CommentDeleted,
    CommentUpdated,
    DomainEvent,
    IssueCreated,
    IssueDeleted,
    IssueEvent,
    IssueLinkCreated,
    IssueLinkDeleted,
    IssueRanked,
    IssueUpdated,
    NotificationAdded,
    ProjectDeleted,
    ProjectEvent,
    ProjectRolesChanged,
    ProjectUpdated,
    StatusChanged,
    UserDeactivated,
    UserUpdated,
)
from tessera.tenancy.auth import PRINCIPAL_EVENTS

# Event class -> live message type. Other events (workflow_published, project_created, a
# transition's fire_event extras, mentions, ...) are not live messages.
LIVE_TYPES: dict[type[IssueEvent], str] = {
    IssueUpdated: "issue_updated",
    StatusChanged: "status_changed",
    CommentAdded: "comment_added",
    CommentUpdated: "comment_updated",
    CommentDeleted: "comment_deleted",
    IssueLinkCreated: "issue_updated",
    IssueLinkDeleted: "issue_updated",
    AttachmentAdded: "issue_updated",
    AttachmentDeleted: "issue_updated",
    IssueCreated: "issue_created",
    IssueDeleted: "issue_deleted",
    IssueRanked: "issue_ranked",  # boards follow rank changes live
}
# The outbox names of LIVE_TYPES, for reading them back (replay).
LIVE_EVENT_NAMES = frozenset(event_class.name for event_class in LIVE_TYPES)
# Events after which cached permission checks of the project (or of the organization, when the
# event names no project) must be dropped at once instead of waiting for their expiry. A change
# of permission schemes, grants or a project's scheme bumps the catalog version (CatalogChanged).
PERMISSION_EVENTS: frozenset[type[DomainEvent]] = frozenset(
    {ProjectUpdated, ProjectRolesChanged, ProjectDeleted, UserUpdated, UserDeactivated, CatalogChanged})

EVENT, PRESENCE, TYPING, INVALIDATE, USER = "event", "presence", "typing", "invalidate", "user"
# An organization's cached principals (tenancy.auth.PrincipalCache) are wrong after one of
# PRINCIPAL_EVENTS: every server process must drop them, whether it holds live connections of
# that organization or not, so these go on the channel every process subscribes to
# (EVERY_PROCESS: organization ids start at 1).
PRINCIPALS = "principals"
EVERY_PROCESS = 0
# The outbox names of what a user's own stream carries (replay reads them back).
USER_EVENT_NAMES = frozenset({NotificationAdded.name})


# An outbox row: read back from the table (replay), or as emit() keeps it until commit.
EventRecord = OutboxEvent | EmittedEvent


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), default=str)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _project_id(event: EventRecord) -> int | None:
    if issubclass(event.event_class, ProjectEvent):
        return event.aggregate_id
    value = event.payload.get("project_id")
    return value if isinstance(value, int) else None


def committed_envelopes(emitted: list[EventRecord]) -> list[dict[str, Any]]:
    """What to publish after a commit: each event's envelope (event_envelope), and one telling
    every process to drop the cached principals of each organization a principal event changed."""
    envelopes = [envelope for envelope in map(event_envelope, emitted) if envelope is not None]
    stale = sorted({event.organization_id for event in emitted if event.event_class in PRINCIPAL_EVENTS})
    return envelopes + [{"k": PRINCIPALS, "org": EVERY_PROCESS, "of": organization_id} for organization_id in stale]


def event_envelope(event: EventRecord) -> dict[str, Any] | None:
    """The envelope to publish for a committed event, or None when no subscriber cares."""
    project_id = _project_id(event)
    event_class = event.event_class
    if event_class in PERMISSION_EVENTS:
        envelope: dict[str, Any] = {"k": INVALIDATE, "org": event.organization_id, "project_id": project_id}
        if event_class is UserDeactivated:  # their own streams close too
            envelope["user_id"] = event.aggregate_id
        return envelope
    if event_class is NotificationAdded:
        return user_envelope(event)
    live_type = LIVE_TYPES.get(event_class)  # all of them events about an issue (IssueEvent)
    if live_type is None or project_id is None:
        return None
    data: dict[str, Any] = dict(event.payload)
    data.setdefault("issue_id", event.aggregate_id)
    data.setdefault("field_changes", {})
    data.setdefault("user_id", event.actor_id)
    data.setdefault("timestamp", _iso(event.created_at))
    if live_type != event.event_type:
        data.setdefault("event", event.event_type)
    visibility = event.payload.get("visibility")
    return {"k": EVENT, "org": event.organization_id, "project_id": project_id, "issue_id": event.aggregate_id,
            "id": event.id, "visibility": visibility if isinstance(visibility, dict) else None,
            "text": encode({"type": live_type, "id": event.id, "data": data})}


def user_envelope(event: EventRecord) -> dict[str, Any] | None:
    """A NotificationAdded for its user's own stream, routed by (organization, user)."""
    user_id = event.payload.get("user_id")
    if not isinstance(user_id, int):
        return None
    data = {"user_id": user_id, "notification_id": event.payload.get("notification_id"),
            "unread": event.payload.get("unread"), "timestamp": _iso(event.created_at)}
    return {"k": USER, "org": event.organization_id, "user_id": user_id, "id": event.id,
            "text": encode({"type": "notification_added", "id": event.id, "unread": data["unread"],
                            "notification_id": data["notification_id"], "data": data})}


def presence_envelope(*, organization_id: int, project_id: int, issue_id: int, viewers: list[dict]) -> dict:
    return {"k": PRESENCE, "org": organization_id, "project_id": project_id, "issue_id": issue_id,
            "text": encode({"type": "presence", "data": {"issue_id": issue_id, "viewers": viewers}})}


def typing_envelope(*, organization_id: int, project_id: int, issue_id: int, user_id: int,
                    display_name: str) -> dict:
    data = {"issue_id": issue_id, "field_changes": {}, "user_id": user_id, "display_name": display_name,
            "timestamp": _iso(datetime.now(UTC))}
    return {"k": TYPING, "org": organization_id, "project_id": project_id, "issue_id": issue_id,
            "user_id": user_id, "text": encode({"type": "user_typing", "data": data})}


def control(message_type: str, **data: Any) -> str:
    """A message about the connection itself (subscribed, pong, resync_required, error)."""
    return encode({"type": message_type, "data": data} if data else {"type": message_type})
