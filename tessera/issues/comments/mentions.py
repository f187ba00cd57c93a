"""@mentions in comments: resolved against the users of the comment's organization only, stored
in comment_mentions, and announced with one `user_mentioned` outbox event per newly mentioned
user, in the comment's transaction.

Only users who may read the comment are told (they may browse the issue and, for a restricted
comment, hold its role): a mention of anyone else is still shown as a mention but sends nothing,
as Jira does. Mentioning oneself sends nothing either."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.events.outbox import emit
from tessera.events.types import UserMentioned
from tessera.issues.audience import users_seeing_issue, users_seeing_role
from tessera.issues.comments.markup import MentionRef
from tessera.issues.comments.models import Comment, CommentMention
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User

ResolvedMentions = dict[MentionRef, tuple[int, str]]


async def resolve_mentions(session: AsyncSession, organization_id: int, refs: Iterable[MentionRef]
                           ) -> ResolvedMentions:
    """One query for any number of references; unknown ones (and other organizations' users) are
    simply absent from the answer."""
    refs = list(refs)
    ids = {int(value) for kind, value in refs if kind == "id"}
    emails = {str(value) for kind, value in refs if kind == "email"}
    if not ids and not emails:
        return {}
    matches = []
    if ids:
        matches.append(User.id.in_(sorted(ids)))
    if emails:
        matches.append(User.email.in_(sorted(emails)))
    rows = (await session.execute(select(User.id, User.display_name, User.email).where(
        User.organization_id == organization_id, or_(*matches)))).all()
    by_id = {row.id: (row.id, row.display_name) for row in rows}
    by_email = {row.email: (row.id, row.display_name) for row in rows}
    resolved: ResolvedMentions = {}
    for ref in refs:
        kind, value = ref
        user = by_id.get(int(value)) if kind == "id" else by_email.get(str(value))
        if user is not None:
            resolved[ref] = user
    return resolved


def visibility_payload(role: str | None) -> dict | None:
    return {"type": "role", "value": role} if role else None


async def do_record_mentions(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                             comment: Comment, refs: Iterable[MentionRef], at: datetime,
                             previous: frozenset[int] = frozenset()) -> frozenset[int]:
    """Store the comment's mentions (replacing `previous`, the ids stored before an edit) and
    announce the new ones. Returns the mentioned user ids."""
    resolved = await resolve_mentions(session, actor.organization_id, refs)
    mentioned = frozenset(user_id for user_id, _ in resolved.values())
    org = actor.organization_id
    gone, added = previous - mentioned, mentioned - previous
    if gone:
        await session.execute(delete(CommentMention).where(
            CommentMention.organization_id == org, CommentMention.comment_id == comment.id,
            CommentMention.user_id.in_(sorted(gone))))
    if not added:
        return mentioned
    await session.execute(insert(CommentMention), [
        {"organization_id": org, "comment_id": comment.id, "user_id": user_id, "issue_id": issue.id}
        for user_id in sorted(added)])
    readers = (await session.scalars(select(User.id).where(
        User.id.in_(sorted(added - {actor.user_id})),
        and_(users_seeing_issue(issue, project),
             users_seeing_role(comment.visibility_role, project))))).all()
    for user_id in sorted(readers):
        await emit(session, UserMentioned(
            issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id, comment_id=comment.id,
            mentioned_user_id=user_id, user_id=actor.user_id, timestamp=at.isoformat(),
            visibility=visibility_payload(comment.visibility_role)),
            organization_id=org, aggregate_id=issue.id, actor_id=actor.user_id)
    return mentioned


async def mentioned_user_ids(session: AsyncSession, organization_id: int, comment_id: int) -> frozenset[int]:
    rows = await session.scalars(select(CommentMention.user_id).where(
        CommentMention.organization_id == organization_id, CommentMention.comment_id == comment_id))
    return frozenset(rows.all())
