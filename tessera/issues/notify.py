"""A note about an issue sent to chosen people (Jira's `POST /issue/{key}/notify`): the sender
names the roles (reporter, assignee, watchers, voters), users and groups to tell, optionally
restricted to members of some groups or holders of some permissions; the notifications
pipeline delivers it (tessera.notifications.fanout), to those who may browse the issue only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.events.outbox import emit
from tessera.events.types import IssueNotified
from tessera.issues.audience import users_holding, users_in_issue_level
from tessera.issues.models import Issue
from tessera.issues.watchers.models import IssueVote, IssueWatcher
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Group, GroupMember, User
from tessera.tenancy.permissions import Permission, authorize

MAX_SUBJECT = 255
MAX_BODY = 32_768


@dataclass(frozen=True)
class Audience:
    reporter: bool = False
    assignee: bool = False
    watchers: bool = False
    voters: bool = False
    user_ids: Sequence[int] = ()
    groups: Sequence[Group] = ()
    # Restrictions: only members of one of `only_groups`, and only holders of every `only_permissions`.
    only_groups: Sequence[Group] = ()
    only_permissions: Sequence[Permission] = field(default_factory=tuple)


async def _members(session: AsyncSession, organization_id: int, groups: Sequence[Group]) -> set[int]:
    if not groups:
        return set()
    return set((await session.scalars(select(GroupMember.user_id).where(
        GroupMember.organization_id == organization_id, GroupMember.group_id.in_([g.id for g in groups])))).all())


async def _recipients(session: AsyncSession, issue: Issue, project: Project, audience: Audience) -> set[int]:
    org = issue.organization_id
    found = set(audience.user_ids) | await _members(session, org, audience.groups)
    found |= {user_id for wanted, user_id in ((audience.reporter, issue.reporter_id),
                                               (audience.assignee, issue.assignee_id)) if wanted and user_id}
    for wanted, model in ((audience.watchers, IssueWatcher), (audience.voters, IssueVote)):
        if wanted:
            found |= set((await session.scalars(select(model.user_id).where(
                model.organization_id == org, model.issue_id == issue.id))).all())
    if audience.only_groups:
        found &= await _members(session, org, audience.only_groups)
    if found and issue.security_level_id is not None:
        found = set((await session.scalars(select(User.id).where(
            users_in_issue_level(issue), User.id.in_(found)))).all())
    for permission in audience.only_permissions:
        if found:
            found = set((await session.scalars(select(User.id).where(
                users_holding(permission, project), User.id.in_(found)))).all())
    return found


async def check_notify(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project, subject: str,
                       text_body: str, audience: Audience) -> list[int]:
    """The ids the note goes to (before the pipeline leaves out those who may not browse the
    issue). Refused without a recipient, as Jira refuses it."""
    await authorize(session, actor, Permission.BROWSE_PROJECTS, project)
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"The subject may be at most {MAX_SUBJECT} characters.", field="subject")
    if len(text_body) > MAX_BODY:
        raise InvalidInput(f"The body may be at most {MAX_BODY} characters.", field="textBody")
    recipients = sorted(await _recipients(session, issue, project, audience))
    if not recipients:
        raise InvalidInput("The notification has no recipients.", field="to")
    await emit(session, IssueNotified(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id,
                                      user_id=actor.user_id, timestamp=datetime.now(UTC).isoformat(),
                                      subject=subject, text_body=text_body, recipient_ids=recipients),
               organization_id=issue.organization_id, aggregate_id=issue.id, actor_id=actor.user_id)
    return recipients
