"""Watching and voting, as in Jira.

- Anyone who may browse an issue may watch it and vote on it. Adding or removing another user's
  watch needs ADMINISTER_PROJECTS (organization admins, project administrators, the lead), and
  that user must be able to browse the issue too.
- You cannot vote on an issue you reported, nor vote or take back a vote on a resolved issue
  (both 400, as Jira answers).
- Watching twice or unwatching when not watching changes nothing and is not an error."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.base import utcnow
from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.issues.audience import users_seeing_issue
from tessera.issues.models import Issue
from tessera.issues.views import user_view
from tessera.issues.watchers.autowatch import insert_ignoring_duplicates
from tessera.issues.watchers.models import IssueVote, IssueWatcher
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.permissions import Permission, authorize, has_permission

MAX_LISTED = 1000


async def _target_user(session: AsyncSession, actor: Actor, issue: Issue, project: Project, ref: object) -> int:
    """The user a watch change is for: the actor, or (for administrators) a user who may browse."""
    if ref is None or parse_id(ref) == actor.user_id:
        return actor.user_id
    await authorize(session, actor, Permission.MANAGE_WATCHERS, project)
    user_id = parse_id(ref)
    found = None if user_id is None else await session.scalar(select(User.id).where(
        User.organization_id == actor.organization_id, User.id == user_id))
    if found is None:
        raise InvalidInput(f"The user '{str(ref)[:40]}' does not exist.", field="user_id")
    may_browse = await session.scalar(select(User.id).where(
        User.id == user_id, users_seeing_issue(issue, project)))
    if may_browse is None:
        raise InvalidInput("That user may not browse this issue, so cannot watch it.", field="user_id")
    return user_id


async def check_watch(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                      user_ref: object = None) -> None:
    user_id = await _target_user(session, actor, issue, project, user_ref)
    await session.execute(insert_ignoring_duplicates(session, IssueWatcher).values(
        organization_id=issue.organization_id, issue_id=issue.id, user_id=user_id, created_at=utcnow()))


async def check_unwatch(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                        user_ref: object = None) -> None:
    if user_ref is not None and parse_id(user_ref) != actor.user_id:
        await authorize(session, actor, Permission.MANAGE_WATCHERS, project)
        user_id = parse_id(user_ref)
        if user_id is None or await session.scalar(select(User.id).where(
                User.organization_id == actor.organization_id, User.id == user_id)) is None:
            raise InvalidInput(f"The user '{str(user_ref)[:40]}' does not exist.", field="user_id")
    else:
        user_id = actor.user_id
    removed = await session.execute(delete(IssueWatcher).where(IssueWatcher.organization_id == issue.organization_id,
                                                               IssueWatcher.issue_id == issue.id,
                                                               IssueWatcher.user_id == user_id))
    if removed.rowcount:  # no event: the audit record is its trace
        record(session, organization_id=issue.organization_id, action="issue.watcher_removed", object_type="issue",
               object_id=issue.id, object_key=issue.key, changes={"user_id": user_id})


def _check_votable(actor: Actor, issue: Issue) -> None:
    if issue.resolution_id is not None:
        raise InvalidInput("You cannot vote or change your vote on resolved issues.", field="issue_id",
                           code="issue_resolved")
    if issue.reporter_id == actor.user_id:
        raise InvalidInput("You cannot vote for an issue you have reported.", field="issue_id",
                           code="own_issue")


async def check_vote(session: AsyncSession, *, actor: Actor, issue: Issue) -> None:
    _check_votable(actor, issue)
    await session.execute(insert_ignoring_duplicates(session, IssueVote).values(
        organization_id=issue.organization_id, issue_id=issue.id, user_id=actor.user_id, created_at=utcnow()))


async def check_unvote(session: AsyncSession, *, actor: Actor, issue: Issue) -> None:
    if issue.resolution_id is not None:
        raise InvalidInput("You cannot vote or change your vote on resolved issues.", field="issue_id",
                           code="issue_resolved")
    removed = await session.execute(delete(IssueVote).where(
        IssueVote.organization_id == issue.organization_id, IssueVote.issue_id == issue.id,
        IssueVote.user_id == actor.user_id))
    if removed.rowcount:
        record(session, organization_id=issue.organization_id, action="issue.vote_removed", object_type="issue",
               object_id=issue.id, object_key=issue.key, changes={"user_id": actor.user_id})


async def _people(session: AsyncSession, model: type[IssueWatcher] | type[IssueVote], actor: Actor, issue: Issue
                  ) -> tuple[int, bool, list[dict]]:
    where = (model.organization_id == issue.organization_id, model.issue_id == issue.id)
    count = await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    users = (await session.execute(
        select(User.id, User.display_name, User.email, User.active).join(model, model.user_id == User.id)
        .where(*where, User.organization_id == issue.organization_id)
        .order_by(func.lower(User.display_name), User.id).limit(MAX_LISTED))).all()
    mine = any(user.id == actor.user_id for user in users) or (count > MAX_LISTED and bool(await session.scalar(
        select(func.count()).select_from(model).where(*where, model.user_id == actor.user_id))))
    return count, mine, [view for user in users if (view := user_view(user))]


async def _may_list(session: AsyncSession, actor: Actor, issue: Issue) -> bool:
    """Who watches or voted is shown to holders of VIEW_VOTERS_AND_WATCHERS; the counts to all."""
    project = await session.scalar(select(Project).where(Project.organization_id == issue.organization_id,
                                                         Project.id == issue.project_id))
    return project is not None and await has_permission(session, actor, Permission.VIEW_VOTERS_AND_WATCHERS,
                                                        project, issue)


async def watchers_view(session: AsyncSession, *, actor: Actor, issue: Issue) -> dict:
    count, mine, users = await _people(session, IssueWatcher, actor, issue)
    return {"issue_id": issue.id, "issue_key": issue.key, "watch_count": count, "is_watching": mine,
            "watchers": users if await _may_list(session, actor, issue) else []}


async def votes_view(session: AsyncSession, *, actor: Actor, issue: Issue) -> dict:
    count, mine, users = await _people(session, IssueVote, actor, issue)
    return {"issue_id": issue.id, "issue_key": issue.key, "votes": count, "has_voted": mine,
            "voters": users if await _may_list(session, actor, issue) else []}
