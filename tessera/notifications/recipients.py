"""Who is notified of one event: the scheme's rules resolved against the issue, then narrowed
to the people allowed to know (active users of the organization who may browse the issue and,
for a restricted comment, read it), minus the actor (unless they asked for their own changes)
and minus those who muted the issue. Permission answers come from tessera.issues.audience, the
same rules as tenancy.permissions, as one query over all candidates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.audience import users_holding, users_seeing_role
from tessera.issues.models import Issue, IssueComponent
from tessera.issues.watchers.models import IssueWatcher
from tessera.notifications.models import IssueMute, NotificationPreference, NotificationScheme
from tessera.notifications.schemes import DEFAULT_SCHEME
from tessera.projects.models import Component, Project
from tessera.tenancy.models import GroupMember, ProjectRoleMember, User
from tessera.tenancy.permissions import Permission


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    time_zone: str
    # The stored preferences document (None: the defaults), read in the same query.
    preferences: dict[str, Any] | None = None


async def load_issue(session: AsyncSession, *, organization_id: int,
                     issue_id: int) -> tuple[Issue, Project, dict[str, list[dict]]] | None:
    """The issue, its project and the project's notification rules (the default scheme's when it
    has none of its own), in one query."""
    row = (await session.execute(
        select(Issue, Project, NotificationScheme.rules).join(Project, Project.id == Issue.project_id)
        .outerjoin(NotificationScheme, (NotificationScheme.organization_id == organization_id)
                   & (NotificationScheme.project_id == Project.id))
        .where(Issue.organization_id == organization_id, Issue.id == issue_id))).first()
    if row is None:
        return None
    return row[0], row[1], row[2] if row[2] is not None else DEFAULT_SCHEME


async def _watchers(session: AsyncSession, organization_id: int, issue_id: int | None) -> set[int]:
    if issue_id is None:
        return set()
    return set((await session.scalars(select(IssueWatcher.user_id).where(
        IssueWatcher.organization_id == organization_id, IssueWatcher.issue_id == issue_id))).all())


async def candidates(session: AsyncSession, rules: list[dict[str, Any]], *, issue: Issue, project: Project,
                     actor_id: int | None, payload: Mapping[str, Any]) -> set[int]:
    """The users the rules name, before any permission or preference check."""
    org = issue.organization_id
    found: set[int | None] = set()
    for rule in rules:
        kind = rule["type"]
        if kind == "reporter":
            found.add(issue.reporter_id)
        elif kind == "assignee":
            found.add(issue.assignee_id)
        elif kind == "watchers":
            found |= await _watchers(session, org, issue.id)
        elif kind == "parent_watchers":
            found |= await _watchers(session, org, issue.parent_id)
        elif kind == "mentioned":
            found.add(payload.get("mentioned_user_id"))
        elif kind == "current_user":
            found.add(actor_id)
        elif kind == "project_lead":
            found.add(project.lead_id)
        elif kind == "component_lead":
            found |= set((await session.scalars(select(Component.lead_id).join(
                IssueComponent, (IssueComponent.component_id == Component.id)
                & (IssueComponent.organization_id == Component.organization_id))
                .where(IssueComponent.organization_id == org, IssueComponent.issue_id == issue.id))).all())
        elif kind == "user":
            found.add(rule["user_id"])
        elif kind == "project_role":
            found |= set((await session.scalars(select(ProjectRoleMember.user_id).where(
                ProjectRoleMember.organization_id == org, ProjectRoleMember.project_id == project.id,
                ProjectRoleMember.role == rule["role"]))).all())
        elif kind == "group":
            found |= set((await session.scalars(select(GroupMember.user_id).where(
                GroupMember.organization_id == org, GroupMember.group_id == rule["group_id"]))).all())
    return {user_id for user_id in found if isinstance(user_id, int)}


def restricted_role(payload: Mapping[str, Any]) -> str | None:
    """The project role a comment (or a mention in one) is restricted to, if any."""
    visibility = payload.get("visibility")
    if isinstance(visibility, dict) and str(visibility.get("type", "")).lower() == "role":
        return str(visibility.get("value") or "").lower() or None
    return None


async def permitted(session: AsyncSession, user_ids: set[int], *, issue: Issue, project: Project,
                    payload: Mapping[str, Any]) -> list[Recipient]:
    """Of `user_ids`, the active users of the project's organization who may browse the issue
    and see the comment the event is about, and who did not mute the issue; with their
    preferences, in one query."""
    if not user_ids:
        return []
    muted = exists().where(IssueMute.organization_id == issue.organization_id, IssueMute.issue_id == issue.id,
                           IssueMute.user_id == User.id).correlate_except(IssueMute)
    rows = (await session.execute(
        select(User.id, User.time_zone, NotificationPreference.settings)
        .outerjoin(NotificationPreference, (NotificationPreference.organization_id == User.organization_id)
                   & (NotificationPreference.user_id == User.id))
        .where(User.id.in_(sorted(user_ids)), users_holding(Permission.BROWSE_PROJECTS, project),
               users_seeing_role(restricted_role(payload), project), ~muted).order_by(User.id))).all()
    return [Recipient(user_id, time_zone, settings) for user_id, time_zone, settings in rows]


async def active_user(session: AsyncSession, *, organization_id: int, user_id: int | None) -> list[Recipient]:
    """For events about no issue (a webhook disabled): the user, if active in that organization."""
    if user_id is None:
        return []
    rows = (await session.execute(
        select(User.id, User.time_zone, NotificationPreference.settings)
        .outerjoin(NotificationPreference, (NotificationPreference.organization_id == User.organization_id)
                   & (NotificationPreference.user_id == User.id))
        .where(User.organization_id == organization_id, User.id == user_id, User.active.is_(True)))).all()
    return [Recipient(uid, time_zone, settings) for uid, time_zone, settings in rows]
