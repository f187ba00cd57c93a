"""Event kinds: what a notification scheme and a user's preferences name. A kind is the outbox
name of an event class of the catalog (tessera.events.types), plus `issue_assigned`, which Jira
tells apart from other edits and which is an `issue_updated` whose changes name the assignee."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.events.types import (
    AttachmentAdded,
    AttachmentDeleted,
    CommentAdded,
    CommentDeleted,
    CommentUpdated,
    DomainEvent,
    IssueCreated,
    IssueLinkCreated,
    IssueLinkDeleted,
    IssueUpdated,
    StatusChanged,
    UserMentioned,
    WebhookDisabled,
    WorklogAdded,
    WorklogDeleted,
    WorklogUpdated,
)

# What the fan-out subscribes to. Not IssueDeleted (its watchers and reporter are gone with it),
# not IssueRanked (a board drag is nobody's news), not remote links (Jira sends nothing either).
ISSUE_EVENT_CLASSES: tuple[type[DomainEvent], ...] = (
    IssueCreated, IssueUpdated, StatusChanged, IssueLinkCreated, IssueLinkDeleted,
    CommentAdded, CommentUpdated, CommentDeleted, UserMentioned,
    AttachmentAdded, AttachmentDeleted, WorklogAdded, WorklogUpdated, WorklogDeleted,
)
SUBSCRIBED: tuple[type[DomainEvent], ...] = (*ISSUE_EVENT_CLASSES, WebhookDisabled)

ISSUE_ASSIGNED = "issue_assigned"
ISSUE_KINDS: tuple[str, ...] = (*(cls.name for cls in ISSUE_EVENT_CLASSES), ISSUE_ASSIGNED)
KINDS: frozenset[str] = frozenset((*ISSUE_KINDS, WebhookDisabled.name))
# Sent at once even inside a batching window, as Jira does: being mentioned or made assignee.
URGENT_KINDS = frozenset({UserMentioned.name, ISSUE_ASSIGNED})


def kind_of(event_type: str, payload: Mapping[str, Any]) -> str:
    """The kind of an outbox row: its name, except for an edit that changed the assignee."""
    if event_type == IssueUpdated.name and "assignee" in (payload.get("field_changes") or {}):
        return ISSUE_ASSIGNED
    return event_type
