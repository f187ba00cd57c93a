"""Comments on issues: the basics every issue needs (threads, mentions and edits come with
the collaboration work)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.events.outbox import emit
from tessera.issues.models import Comment, Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

COMMENT_MAX = 32_767 * 4


async def check_add_comment(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project, body: str,
                            at: datetime | None = None) -> Comment:
    await authorize(session, actor, Permission.ADD_COMMENTS, project)
    if not body or not body.strip():
        raise InvalidInput("A comment needs a body.", field="body")
    if len(body) > COMMENT_MAX:
        raise InvalidInput(f"A comment is at most {COMMENT_MAX} characters.", field="body")
    at = at or datetime.now(UTC)
    comment = Comment(organization_id=actor.organization_id, issue_id=issue.id, author_id=actor.user_id,
                      body=body, created_at=at, updated_at=at, version=1)
    session.add(comment)
    await session.flush()
    await emit(session, organization_id=actor.organization_id, event_type="comment_added", aggregate_type="issue",
               aggregate_id=issue.id, actor_id=actor.user_id, payload={
                   "issue_id": issue.id, "issue_key": issue.key, "project_id": issue.project_id,
                   "comment_id": comment.id, "user_id": actor.user_id, "timestamp": at.isoformat()})
    return comment


async def list_comments(session: AsyncSession, *, issue: Issue, start_at: int = 0, max_results: int = 50
                        ) -> tuple[Sequence[Comment], int]:
    conditions = (Comment.organization_id == issue.organization_id, Comment.issue_id == issue.id)
    total = await session.scalar(select(func.count()).select_from(Comment).where(*conditions)) or 0
    comments = (await session.scalars(select(Comment).where(*conditions).order_by(Comment.created_at, Comment.id)
                                      .offset(start_at).limit(max_results))).all()
    return comments, total
