"""The catalog of domain events: every event type the outbox holds, one frozen class each.

`EVENT_TYPES` maps an outbox row's event_type to its class; it is closed (built here, once, from
the classes below) and refuses two classes with one name at import. Consumers match events by
class (`event.event_class in {CommentAdded, ...}`, `issubclass(..., IssueEvent)`), never by the
name's text. A name outside the catalog was fired by a workflow (`WorkflowEventFired`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from tessera.events.types.agile import (
    BoardCreated,
    BoardDeleted,
    BoardEvent,
    BoardUpdated,
    SprintCompleted,
    SprintCreated,
    SprintEvent,
    SprintStarted,
    SprintUpdated,
)
from tessera.events.types.base import DomainEvent, IssueEvent
from tessera.events.types.delivery import NotificationAdded, WebhookDisabled
from tessera.events.types.issue_parts import (
    AttachmentAdded,
    AttachmentDeleted,
    AttachmentEvent,
    CommentAdded,
    CommentDeleted,
    CommentEvent,
    CommentUpdated,
    CommentWritten,
    IssueNotified,
    RemoteLinkCreated,
    RemoteLinkDeleted,
    RemoteLinkEvent,
    RemoteLinkUpdated,
    UserMentioned,
    WorklogAdded,
    WorklogDeleted,
    WorklogEvent,
    WorklogUpdated,
)
from tessera.events.types.issues import (
    IssueCreated,
    IssueDeleted,
    IssueLifecycleEvent,
    IssueLinkCreated,
    IssueLinkDeleted,
    IssueLinkEvent,
    IssueRanked,
    IssueUpdated,
    StatusChanged,
)
from tessera.events.types.projects import (
    ProjectCreated,
    ProjectDeleted,
    ProjectEvent,
    ProjectRolesChanged,
    ProjectUpdated,
)
from tessera.events.types.tenancy import CatalogChanged, TokenRevoked, UserChanged, UserDeactivated, UserUpdated
from tessera.events.types.workflow import WorkflowEventFired, WorkflowPublished


def _closed_registry(classes: Iterable[type[DomainEvent]]) -> Mapping[str, type[DomainEvent]]:
    registry: dict[str, type[DomainEvent]] = {}
    for event_class in classes:
        name = getattr(event_class, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{event_class.__name__} has no event name")
        if name in registry:
            raise ValueError(f"event name {name!r} is taken by {registry[name].__name__} and "
                             f"{event_class.__name__}")
        registry[name] = event_class
    return MappingProxyType(registry)


EVENT_TYPES: Mapping[str, type[DomainEvent]] = _closed_registry([
    IssueCreated, IssueUpdated, IssueDeleted, StatusChanged, IssueLinkCreated, IssueLinkDeleted, IssueRanked,
    CommentAdded, CommentUpdated, CommentDeleted, UserMentioned, IssueNotified,
    AttachmentAdded, AttachmentDeleted, WorklogAdded, WorklogUpdated, WorklogDeleted,
    RemoteLinkCreated, RemoteLinkUpdated, RemoteLinkDeleted,
    WorkflowPublished,
    SprintCreated, SprintUpdated, SprintStarted, SprintCompleted, BoardCreated, BoardUpdated, BoardDeleted,
    ProjectCreated, ProjectUpdated, ProjectRolesChanged, ProjectDeleted,
    UserUpdated, UserDeactivated, TokenRevoked, CatalogChanged,
    NotificationAdded, WebhookDisabled,
])


def event_class(name: str) -> type[DomainEvent]:
    """The class of an outbox event_type; WorkflowEventFired for a name outside the catalog."""
    return EVENT_TYPES.get(name, WorkflowEventFired)


def event_from_record(name: str, payload: Mapping[str, Any]) -> DomainEvent:
    """The typed event of a stored outbox row (its event_type and payload)."""
    found = EVENT_TYPES.get(name)
    if found is None:
        return WorkflowEventFired.fired(name, payload)
    return found.from_payload(payload)


__all__ = [
    "EVENT_TYPES", "AttachmentAdded", "AttachmentDeleted", "AttachmentEvent", "BoardCreated", "BoardDeleted",
    "BoardEvent", "BoardUpdated", "CatalogChanged", "CommentAdded", "CommentDeleted", "CommentEvent",
    "CommentUpdated", "CommentWritten", "DomainEvent", "IssueCreated", "IssueDeleted", "IssueEvent",
    "IssueLifecycleEvent", "IssueLinkCreated", "IssueNotified", "NotificationAdded", "WebhookDisabled", "IssueLinkDeleted", "IssueLinkEvent", "IssueRanked", "IssueUpdated",
    "ProjectCreated", "ProjectDeleted", "ProjectEvent", "ProjectRolesChanged", "ProjectUpdated", "RemoteLinkCreated",
    "RemoteLinkDeleted", "RemoteLinkEvent", "RemoteLinkUpdated", "SprintCompleted", "SprintCreated", "SprintEvent",
    "SprintStarted", "SprintUpdated", "StatusChanged", "TokenRevoked", "UserChanged", "UserDeactivated",
    "UserMentioned", "UserUpdated", "WorkflowEventFired", "WorkflowPublished", "WorklogAdded", "WorklogDeleted",
    "WorklogEvent", "WorklogUpdated", "event_class", "event_from_record"
]
