"""Events of what hangs off an issue: comments and their mentions, attachments, worklogs and
remote links. Their aggregate is the issue, so they reach the issue's live subscribers."""

from __future__ import annotations

from typing import Any, ClassVar

from tessera.events.types.base import IssueEvent, domain_event, stored_as

# {"type": "role", "value": role} for a comment visible to one project role; None: to all.
Visibility = dict[str, Any] | None


@domain_event
class CommentEvent(IssueEvent):
    comment_id: int
    parent_id: int | None
    user_id: int | None
    timestamp: str
    visibility: Visibility
    comment_version: int = stored_as("version")


@domain_event
class CommentAdded(CommentEvent):
    name: ClassVar[str] = "comment_added"
    jira_webhook_event: ClassVar[str | None] = "comment_created"
    body: str


@domain_event
class CommentUpdated(CommentEvent):
    name: ClassVar[str] = "comment_updated"
    jira_webhook_event: ClassVar[str | None] = "comment_updated"
    body: str


@domain_event
class CommentDeleted(CommentEvent):
    """`tombstone`: the comment has replies, so its row stays with an empty body."""

    name: ClassVar[str] = "comment_deleted"
    jira_webhook_event: ClassVar[str | None] = "comment_deleted"
    tombstone: bool


@domain_event
class UserMentioned(IssueEvent):
    """One per newly mentioned user who may read the comment (never the comment's author)."""

    name: ClassVar[str] = "user_mentioned"
    jira_webhook_event: ClassVar[str | None] = None
    comment_id: int
    mentioned_user_id: int
    user_id: int | None
    timestamp: str
    visibility: Visibility


@domain_event
class AttachmentEvent(IssueEvent):
    attachment_id: int
    filename: str
    size: int
    content_type: str
    user_id: int | None
    timestamp: str


@domain_event
class AttachmentAdded(AttachmentEvent):
    name: ClassVar[str] = "attachment_added"
    jira_webhook_event: ClassVar[str | None] = "attachment_created"


@domain_event
class AttachmentDeleted(AttachmentEvent):
    name: ClassVar[str] = "attachment_deleted"
    jira_webhook_event: ClassVar[str | None] = "attachment_deleted"


@domain_event
class WorklogEvent(IssueEvent):
    worklog_id: int
    time_spent_seconds: int
    user_id: int | None
    timestamp: str


@domain_event
class WorklogAdded(WorklogEvent):
    name: ClassVar[str] = "worklog_added"
    jira_webhook_event: ClassVar[str | None] = "worklog_created"


@domain_event
class WorklogUpdated(WorklogEvent):
    name: ClassVar[str] = "worklog_updated"
    jira_webhook_event: ClassVar[str | None] = "worklog_updated"


@domain_event
class WorklogDeleted(WorklogEvent):
    name: ClassVar[str] = "worklog_deleted"
    jira_webhook_event: ClassVar[str | None] = "worklog_deleted"


@domain_event
class RemoteLinkEvent(IssueEvent):
    """Jira has no webhook for remote issue links."""

    jira_webhook_event: ClassVar[str | None] = None
    remote_link_id: int
    url: str | None
    user_id: int | None
    timestamp: str


@domain_event
class RemoteLinkCreated(RemoteLinkEvent):
    name: ClassVar[str] = "remote_link_created"


@domain_event
class RemoteLinkUpdated(RemoteLinkEvent):
    name: ClassVar[str] = "remote_link_updated"


@domain_event
class RemoteLinkDeleted(RemoteLinkEvent):
    name: ClassVar[str] = "remote_link_deleted"
