"""Event kinds: what a notification scheme and a user's preferences name. A kind is the outbox
name of an event class of the catalog (tessera.events.types), plus the kinds Jira tells apart
from their event (its notification events 3, 4, 5 and 7):

- `issue_assigned`: an `issue_updated` whose changes name the assignee;
- `issue_resolved`, `issue_reopened`, `issue_closed`: a `status_changed` that resolved, reopened
  or closed the issue, by the rule of `StatusChanged.kind_of` (which the webhooks'
  issue_event_type_name follows too).

`issue_deleted` is told with what its event snapshot at delete time (the issue is gone)."""

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
    IssueDeleted,
    IssueLinkCreated,
    IssueLinkDeleted,
    IssueNotified,
    IssueUpdated,
    StatusChanged,
    UserMentioned,
    WebhookDisabled,
    WorklogAdded,
    WorklogDeleted,
    WorklogUpdated,
)

# What the fan-out subscribes to. Not IssueRanked (a board drag is nobody's news), not remote
# links (Jira sends nothing either).
ISSUE_EVENT_CLASSES: tuple[type[DomainEvent], ...] = (
    IssueCreated, IssueDeleted, IssueUpdated, StatusChanged, IssueLinkCreated, IssueLinkDeleted,
    CommentAdded, CommentUpdated, CommentDeleted, UserMentioned,
    AttachmentAdded, AttachmentDeleted, WorklogAdded, WorklogUpdated, WorklogDeleted,
)
# A note sent with Jira's issue notify names its own recipients: no scheme decides who hears of
# it, so it is no kind a scheme or the settings page lists; preferences' channels still apply.
SUBSCRIBED: tuple[type[DomainEvent], ...] = (*ISSUE_EVENT_CLASSES, IssueNotified, WebhookDisabled)

ISSUE_ASSIGNED = "issue_assigned"
ISSUE_RESOLVED, ISSUE_CLOSED, ISSUE_REOPENED = "issue_resolved", "issue_closed", "issue_reopened"
ISSUE_KINDS: tuple[str, ...] = (*(cls.name for cls in ISSUE_EVENT_CLASSES), ISSUE_ASSIGNED, ISSUE_RESOLVED,
                                ISSUE_CLOSED, ISSUE_REOPENED)
KINDS: frozenset[str] = frozenset((*ISSUE_KINDS, WebhookDisabled.name))
# A kind read off a status change stands for a status change wherever a scheme or a user's
# preferences do not name it: schemes and preferences saved before these kinds existed keep
# notifying of resolutions as they did. A scheme that names one (even with no rule) decides.
STANDS_FOR: dict[str, str] = {kind: StatusChanged.name for kind in (ISSUE_RESOLVED, ISSUE_CLOSED, ISSUE_REOPENED)}
# Sent at once even inside a batching window, as Jira does: being mentioned or made assignee.
URGENT_KINDS = frozenset({UserMentioned.name, ISSUE_ASSIGNED, IssueNotified.name})


def kind_of(event_type: str, payload: Mapping[str, Any]) -> str:
    """The kind of an outbox row: its name, except for an edit that changed the assignee and a
    status change that resolved, closed or reopened the issue."""
    if event_type == IssueUpdated.name and "assignee" in (payload.get("field_changes") or {}):
        return ISSUE_ASSIGNED
    if event_type == StatusChanged.name:
        return StatusChanged.kind_of(payload)
    return event_type


def named_for(kind: str, named: Mapping[str, Any]) -> Any:
    """What `named` (a scheme's rules or a user's per-kind overrides) says of the kind, or of the
    kind it stands for when it does not name it; None when neither is named."""
    if kind in named:
        return named[kind]
    return named.get(STANDS_FOR[kind]) if kind in STANDS_FOR else None
