"""Comments, watchers, votes and attachments as /v2 answers them (tessera.issues.comments, .watchers, .attachments)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.api.rest.responses.common import Out, PersonRef, UserRef


class CommentOut(Out):
    id: int
    issue_id: int
    parent_id: int | None
    body: str = Field(description="Markdown source.")
    rendered_body: str = Field(description="Safe HTML, mentions resolved.")
    author: PersonRef | None
    created: str
    updated: str
    version: int
    edited: bool
    deleted: bool
    visibility: dict[str, Any] | None = Field(description='{"type": "role", "value": ...} or null.')
    mentions: list[dict[str, Any]]
    self: str


class CommentPageOut(Out):
    issue_id: int
    start_at: int
    max_results: int
    total: int
    order_by: str
    comments: list[CommentOut]


class CommentRevision(Out):
    revision: int
    body: str
    rendered_body: str
    edited_by: PersonRef | None
    edited_at: str


class CommentHistoryOut(Out):
    comment_id: int
    issue_id: int
    total: int
    revisions: list[CommentRevision]


class MentionableUser(Out):
    id: int
    display_name: str
    email: str
    mention: str = Field(description="The text that mentions this user in a comment.")


class MentionableOut(Out):
    issue_id: int
    users: list[MentionableUser]


class WatchersOut(Out):
    issue_id: int
    issue_key: str
    watch_count: int
    is_watching: bool
    watchers: list[UserRef] = Field(description="Empty unless you may see who watches.")


class VotesOut(Out):
    issue_id: int
    issue_key: str
    votes: int
    has_voted: bool
    voters: list[UserRef] = Field(description="Empty unless you may see who voted.")


class AttachmentOut(Out):
    id: int
    issue_id: int
    filename: str
    content_type: str = Field(description="As Tessera sniffed it from the bytes.")
    declared_content_type: str | None
    size: int
    sha256: str
    author: PersonRef | None
    created: str
    self: str
    content: str = Field(description="URL of the bytes.")


class AttachmentListOut(Out):
    issue_id: int
    total: int
    attachments: list[AttachmentOut]


class LiveTicketOut(Out):
    ticket: str = Field(description="Single use: pass as ?ticket= when opening a live WebSocket.")
    expires_at: str
    expires_in: int
