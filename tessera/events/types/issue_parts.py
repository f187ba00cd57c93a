"""Events of what hangs off an issue: comments and their mentions, attachments, worklogs and
remote links. Their aggregate is the issue, so they reach the issue's live subscribers."""

from __future__ import annotations

from typing import Any

from tessera.events.types.base import IssueEvent, stored_as

# {"type": "role", "value": role} for a comment visible to one project role; None: to all.
Visibility = dict[str, Any] | None


class CommentEvent(IssueEvent):
    comment_id: int
    parent_id: int | None
    user_id: int | None
    timestamp: str
    visibility: Visibility
    comment_version: int = stored_as("version")


class CommentWritten(CommentEvent):
    """A comment's new or edited text."""

    body: str


CommentAdded, CommentUpdated = CommentWritten.variants(
    comment_added="comment_created", comment_updated="comment_updated")


class CommentDeleted(CommentEvent, name="comment_deleted", jira="comment_deleted"):
    """`tombstone`: the comment has replies, so its row stays with an empty body."""

    tombstone: bool


class UserMentioned(IssueEvent, name="user_mentioned", jira=None):
    """One per newly mentioned user who may read the comment (never the comment's author)."""

    comment_id: int
    mentioned_user_id: int
    user_id: int | None
    timestamp: str
    visibility: Visibility


class IssueNotified(IssueEvent, name="issue_notified", jira=None):
    """A note about the issue sent to chosen people (Jira's `POST /issue/{key}/notify`): the
    notifications tell `recipient_ids` (those who may still browse the issue), whatever the
    project's notification scheme says."""

    user_id: int | None
    timestamp: str
    subject: str
    text_body: str
    recipient_ids: list[int]


class AttachmentEvent(IssueEvent):
    """`size` in bytes; `content_type` as sniffed from the content, not as the upload declared."""

    attachment_id: int
    filename: str
    size: int
    content_type: str
    user_id: int | None
    timestamp: str


AttachmentAdded, AttachmentDeleted = AttachmentEvent.variants(
    attachment_added="attachment_created", attachment_deleted="attachment_deleted")


class WorklogEvent(IssueEvent):
    """`time_spent_seconds`: the worklog's, after the change."""

    worklog_id: int
    time_spent_seconds: int
    user_id: int | None
    timestamp: str


WorklogAdded, WorklogUpdated, WorklogDeleted = WorklogEvent.variants(
    worklog_added="worklog_created", worklog_updated="worklog_updated", worklog_deleted="worklog_deleted")


class RemoteLinkEvent(IssueEvent):
    """`url`: the link object's; Jira has no webhook for remote issue links."""

    remote_link_id: int
    url: str | None
    user_id: int | None
    timestamp: str


RemoteLinkCreated, RemoteLinkUpdated, RemoteLinkDeleted = RemoteLinkEvent.variants(
    remote_link_created=None, remote_link_updated=None, remote_link_deleted=None)
