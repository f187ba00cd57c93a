"""What an issue listing shows about each issue's people and files, read for a page of issues
at once (one query per kind, whatever the page size): watch and vote counts with the reader's
own, attachments, and the comments the reader may see; and the labels in use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.attachments.models import Attachment
from tessera.issues.audience import comments_visible_to
from tessera.issues.comments.models import Comment
from tessera.issues.models import Issue, IssueLabel
from tessera.issues.security import issue_visible_condition
from tessera.issues.watchers.models import IssueVote, IssueWatcher
from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor


class PeopleCount(NamedTuple):
    count: int
    mine: bool


async def _people(session: AsyncSession, model: type[IssueWatcher] | type[IssueVote], actor: Actor,
                  issue_ids: Sequence[int]) -> dict[int, PeopleCount]:
    if not issue_ids:
        return {}
    mine = func.sum(case((model.user_id == actor.user_id, 1), else_=0))
    rows = await session.execute(select(model.issue_id, func.count(), mine).where(
        model.organization_id == actor.organization_id, model.issue_id.in_(list(issue_ids)))
        .group_by(model.issue_id))
    return {issue_id: PeopleCount(count, bool(own)) for issue_id, count, own in rows.all()}


async def watch_counts(session: AsyncSession, actor: Actor, issue_ids: Sequence[int]) -> dict[int, PeopleCount]:
    return await _people(session, IssueWatcher, actor, issue_ids)


async def vote_counts(session: AsyncSession, actor: Actor, issue_ids: Sequence[int]) -> dict[int, PeopleCount]:
    return await _people(session, IssueVote, actor, issue_ids)


async def attachments_by_issue(session: AsyncSession, organization_id: int, issue_ids: Sequence[int]
                               ) -> dict[int, list[Attachment]]:
    if not issue_ids:
        return {}
    rows = await session.scalars(select(Attachment).where(
        Attachment.organization_id == organization_id, Attachment.issue_id.in_(list(issue_ids)))
        .order_by(Attachment.created_at, Attachment.id))
    found: dict[int, list[Attachment]] = {}
    for attachment in rows.all():
        found.setdefault(attachment.issue_id, []).append(attachment)
    return found


async def visible_comments_by_issue(session: AsyncSession, actor: Actor, issue_ids: Sequence[int], *,
                                    per_issue: int = 100) -> dict[int, list[Comment]]:
    """Oldest first, at most `per_issue` each; restricted comments only for their role's members
    (and organization administrators); deleted ones left out."""
    if not issue_ids:
        return {}
    rows = await session.scalars(
        select(Comment).join(Issue, (Issue.id == Comment.issue_id) & (Issue.organization_id == Comment.organization_id))
        .where(Comment.organization_id == actor.organization_id, Comment.issue_id.in_(list(issue_ids)),
               Comment.deleted_at.is_(None),
               comments_visible_to(user_id=actor.user_id, sees_all=actor.is_org_admin, project_id=Issue.project_id))
        .order_by(Comment.issue_id, Comment.created_at, Comment.id))
    found: dict[int, list[Comment]] = {}
    for comment in rows.all():
        bucket = found.setdefault(comment.issue_id, [])
        if len(bucket) < per_issue:
            bucket.append(comment)
    return found


async def distinct_labels(session: AsyncSession, actor: Actor, *, start_at: int = 0, max_results: int = 1000
                          ) -> tuple[list[str], int]:
    """Labels in use on issues of projects the actor may browse, alphabetically, with their count."""
    browsable = select(Project.id).where(browsable_projects_condition(actor))
    labels = (select(IssueLabel.label).distinct().join(Issue, Issue.id == IssueLabel.issue_id)
              .where(IssueLabel.organization_id == actor.organization_id,
                     Issue.organization_id == actor.organization_id, Issue.project_id.in_(browsable),
                     issue_visible_condition(actor)))
    total = await session.scalar(select(func.count()).select_from(labels.subquery())) or 0
    page = await session.scalars(labels.order_by(IssueLabel.label).offset(start_at).limit(max_results))
    return list(page.all()), total
