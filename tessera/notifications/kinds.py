"""Event kinds: what a notification scheme and a user's preferences name. A kind is the outbox
name of an event class of the catalog (tessera.events.types), plus the kinds Jira tells apart
from their event (its notification events 3, 4, 5 and 7):

- `issue_assigned`: an `issue_updated` whose changes name the assignee;
- `issue_resolved`: a `status_changed` that gave the issue a resolution (it entered a done status);
- `issue_reopened`: a `status_changed` that took the resolution away or left a done status;
- `issue_closed`: a `status_changed` into a done status that gave no new resolution: Jira's
  "Close" after "Resolve" (Resolved -> Closed), or a move between done statuses.

Jira fires these from named transitions of its classic workflow; Tessera reads them off what
the transition did, so every workflow has them. A status change recorded before events carried
`status_category` is told apart by its resolution alone."""

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
ISSUE_RESOLVED = "issue_resolved"
ISSUE_CLOSED = "issue_closed"
ISSUE_REOPENED = "issue_reopened"
ISSUE_KINDS: tuple[str, ...] = (*(cls.name for cls in ISSUE_EVENT_CLASSES), ISSUE_ASSIGNED, ISSUE_RESOLVED,
                                ISSUE_CLOSED, ISSUE_REOPENED)
KINDS: frozenset[str] = frozenset((*ISSUE_KINDS, WebhookDisabled.name))
# A kind read off a status change stands for a status change wherever a scheme or a user's
# preferences do not name it: schemes and preferences saved before these kinds existed keep
# notifying of resolutions as they did. A scheme that names one (even with no rule) decides.
STANDS_FOR: dict[str, str] = {kind: StatusChanged.name for kind in (ISSUE_RESOLVED, ISSUE_CLOSED, ISSUE_REOPENED)}
# Sent at once even inside a batching window, as Jira does: being mentioned or made assignee.
URGENT_KINDS = frozenset({UserMentioned.name, ISSUE_ASSIGNED})


def kind_of(event_type: str, payload: Mapping[str, Any]) -> str:
    """The kind of an outbox row: its name, except for an edit that changed the assignee and a
    status change that resolved, closed or reopened the issue."""
    if event_type == IssueUpdated.name and "assignee" in (payload.get("field_changes") or {}):
        return ISSUE_ASSIGNED
    if event_type == StatusChanged.name:
        return _transition_kind(payload)
    return event_type


def named_for(kind: str, named: Mapping[str, Any]) -> Any:
    """What `named` (a scheme's rules or a user's per-kind overrides) says of the kind, or of the
    kind it stands for when it does not name it; None when neither is named."""
    if kind in named:
        return named[kind]
    return named.get(STANDS_FOR[kind]) if kind in STANDS_FOR else None


def _transition_kind(payload: Mapping[str, Any]) -> str:
    changes = payload.get("field_changes")
    resolution = changes.get("resolution") if isinstance(changes, Mapping) else None
    if isinstance(resolution, Mapping):
        if resolution.get("from") is None and resolution.get("to") is not None:
            return ISSUE_RESOLVED
        if resolution.get("from") is not None and resolution.get("to") is None:
            return ISSUE_REOPENED
    category = payload.get("status_category")
    if isinstance(category, Mapping):
        if category.get("to") == "done":
            return ISSUE_CLOSED
        if category.get("from") == "done":
            return ISSUE_REOPENED
    return StatusChanged.name
