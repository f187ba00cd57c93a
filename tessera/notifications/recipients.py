"""Who is notified of one event: the scheme's rules resolved against the issue, then narrowed
to the people allowed to know (active users of the organization who may browse the issue and,
for a restricted comment, read it), minus the actor (unless they asked for their own changes)
and minus those who muted the issue. Permission answers come from tessera.issues.audience, the
same rules as tenancy.permissions, as one query over all candidates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.events.types import IssueDeleted
from tessera.issues.audience import customer_reporting, users_holding, users_in_issue_level, users_seeing_role
from tessera.issues.models import Issue, IssueComponent
from tessera.issues.watchers.models import IssueWatcher
from tessera.notifications.models import IssueMute, NotificationPreference, NotificationScheme
from tessera.notifications.schemes import DEFAULT_SCHEME
from tessera.projects.models import Component, Project
from tessera.tenancy.models import CUSTOMER_ROLE, GroupMember, ProjectRoleMember, User
from tessera.tenancy.permissions import Permission


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    time_zone: str
    # The stored preferences document (None: the defaults), read in the same query.
    preferences: dict[str, Any] | None = None
    # A customer (the reporter of an issue their mail filed): reached by email only, having no
    # inbox to sign in to (tessera.notifications.channels.CUSTOMER_CHANNELS).
    customer: bool = False


@dataclass(frozen=True, slots=True)
class DeletedIssue:
    """An issue gone by the time its deletion is fanned out, as its IssueDeleted snapshot it: what
    the rules read of an Issue, with the watchers and components that went with it."""

    id: int
    key: str | None
    organization_id: int
    reporter_id: int | None
    assignee_id: int | None
    parent_id: int | None
    watcher_ids: frozenset[int]
    component_ids: tuple[int, ...]

    @classmethod
    def of(cls, organization_id: int, event: IssueDeleted) -> DeletedIssue | None:
        """None for an event without the snapshot (a sub-task deleted with its parent, an event
        written before the snapshot existed): there is nobody to tell and nothing to tell them."""
        if event.summary is None:
            return None
        return cls(event.issue_id, event.issue_key, organization_id, event.reporter_id, event.assignee_id, event.parent_id,
                   frozenset(event.watcher_ids or ()), tuple(event.component_ids or ()))


async def load_projects(session: AsyncSession, *, organization_id: int, project_ids: Iterable[int]
                        ) -> dict[int, tuple[Project, dict[str, list[dict]]]]:
    """By id: the project and its notification rules (as load_issues reads them), in one query."""
    ids = sorted(set(project_ids))
    if not ids:
        return {}
    rows = (await session.execute(
        select(Project, NotificationScheme.rules)
        .outerjoin(NotificationScheme, (NotificationScheme.organization_id == organization_id)
                   & (NotificationScheme.project_id == Project.id))
        .where(Project.organization_id == organization_id, Project.id.in_(ids)))).all()
    return {project.id: (project, rules if rules is not None else DEFAULT_SCHEME) for project, rules in rows}


async def load_issues(session: AsyncSession, *, organization_id: int, issue_ids: Iterable[int]
                      ) -> dict[int, tuple[Issue, Project, dict[str, list[dict]]]]:
    """By id: the issue, its project and the project's notification rules (the default scheme's
    when it has none of its own), in one query. Issues gone since are left out."""
    ids = sorted(set(issue_ids))
    if not ids:
        return {}
    rows = (await session.execute(
        select(Issue, Project, NotificationScheme.rules).join(Project, Project.id == Issue.project_id)
        .outerjoin(NotificationScheme, (NotificationScheme.organization_id == organization_id)
                   & (NotificationScheme.project_id == Project.id))
        .where(Issue.organization_id == organization_id, Issue.id.in_(ids)))).all()
    return {issue.id: (issue, project, rules if rules is not None else DEFAULT_SCHEME)
            for issue, project, rules in rows}


async def load_issue(session: AsyncSession, *, organization_id: int,
                     issue_id: int) -> tuple[Issue, Project, dict[str, list[dict]]] | None:
    return (await load_issues(session, organization_id=organization_id, issue_ids=[issue_id])).get(issue_id)


class Lookups:
    """The memberships the rules read (watchers, project roles, groups), each read once per
    batch of events; `watch` reads the watchers of many issues in one query beforehand."""

    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id
        self._watchers: dict[int, set[int]] = {}
        self._roles: dict[tuple[int, str], set[int]] = {}
        self._groups: dict[int, set[int]] = {}

    async def watch(self, issue_ids: Iterable[int | None]) -> None:
        ids = sorted({issue_id for issue_id in issue_ids if issue_id is not None} - set(self._watchers))
        if not ids:
            return
        self._watchers.update({issue_id: set() for issue_id in ids})
        for issue_id, user_id in (await self.session.execute(select(IssueWatcher.issue_id, IssueWatcher.user_id).where(
                IssueWatcher.organization_id == self.organization_id, IssueWatcher.issue_id.in_(ids)))).all():
            self._watchers[issue_id].add(user_id)

    async def watchers(self, issue_id: int | None) -> set[int]:
        if issue_id is None:
            return set()
        await self.watch([issue_id])
        return self._watchers[issue_id]

    async def role(self, project_id: int, role: str) -> set[int]:
        if (project_id, role) not in self._roles:
            self._roles[project_id, role] = set((await self.session.scalars(select(ProjectRoleMember.user_id).where(
                ProjectRoleMember.organization_id == self.organization_id, ProjectRoleMember.project_id == project_id,
                ProjectRoleMember.role == role))).all())
        return self._roles[project_id, role]

    async def component_leads(self, issue: Issue | DeletedIssue) -> set[int]:
        """The leads of the issue's components (Jira's "Component Lead"); of a deleted issue, of
        the components it had."""
        if isinstance(issue, DeletedIssue):
            return set((await self.session.scalars(select(Component.lead_id).where(
                Component.organization_id == self.organization_id,
                Component.id.in_(issue.component_ids)))).all()) - {None}
        return set((await self.session.scalars(select(Component.lead_id).join(
            IssueComponent, (IssueComponent.component_id == Component.id)
            & (IssueComponent.organization_id == Component.organization_id))
            .where(IssueComponent.organization_id == self.organization_id,
                   IssueComponent.issue_id == issue.id))).all()) - {None}

    async def group(self, group_id: int) -> set[int]:
        if group_id not in self._groups:
            self._groups[group_id] = set((await self.session.scalars(select(GroupMember.user_id).where(
                GroupMember.organization_id == self.organization_id, GroupMember.group_id == group_id))).all())
        return self._groups[group_id]


async def candidates(lookups: Lookups, rules: list[dict[str, Any]], *, issue: Issue | DeletedIssue, project: Project,
                     actor_id: int | None, payload: Mapping[str, Any]) -> set[int]:
    """The users the rules name, before any permission or preference check."""
    found: set[int | None] = set()
    for rule in rules:
        kind = rule["type"]
        if kind == "reporter":
            found.add(issue.reporter_id)
        elif kind == "assignee":
            found.add(issue.assignee_id)
        elif kind == "watchers":
            found |= issue.watcher_ids if isinstance(issue, DeletedIssue) else await lookups.watchers(issue.id)
        elif kind == "parent_watchers":
            found |= await lookups.watchers(issue.parent_id)
        elif kind == "mentioned":
            found.add(payload.get("mentioned_user_id"))
        elif kind == "current_user":
            found.add(actor_id)
        elif kind == "project_lead":
            found.add(project.lead_id)
        elif kind == "component_lead":
            found |= await lookups.component_leads(issue)
        elif kind == "user":
            found.add(rule["user_id"])
        elif kind == "project_role":
            found |= await lookups.role(project.id, rule["role"])
        elif kind == "group":
            found |= await lookups.group(rule["group_id"])
    return {user_id for user_id in found if isinstance(user_id, int)}


def restricted_role(payload: Mapping[str, Any]) -> str | None:
    """The project role a comment (or a mention in one) is restricted to, if any."""
    visibility = payload.get("visibility")
    if isinstance(visibility, dict) and str(visibility.get("type", "")).lower() == "role":
        return str(visibility.get("value") or "").lower() or None
    return None


async def permitted(session: AsyncSession, user_ids: set[int], *, issue: Issue | DeletedIssue, project: Project,
                    payload: Mapping[str, Any]) -> list[Recipient]:
    """Of `user_ids`, the active users of the project's organization who may browse the issue
    and see the comment the event is about, and who did not mute the issue; with their
    preferences, in one query. The issue's reporter when a customer counts as one who may browse
    it (never a restricted comment: customers hold no project role). Of a deleted issue: who may
    browse its project (its mutes went with it)."""
    if not user_ids:
        return []
    muted = exists().where(IssueMute.organization_id == issue.organization_id, IssueMute.issue_id == issue.id,
                           IssueMute.user_id == User.id).correlate_except(IssueMute)
    may_browse = users_holding(Permission.BROWSE_PROJECTS, project)
    if not isinstance(issue, DeletedIssue):
        may_browse = and_(or_(may_browse, customer_reporting(issue.organization_id, issue.reporter_id)),
                          users_in_issue_level(issue))
    rows = (await session.execute(
        select(User.id, User.time_zone, NotificationPreference.settings, User.role)
        .outerjoin(NotificationPreference, (NotificationPreference.organization_id == User.organization_id)
                   & (NotificationPreference.user_id == User.id))
        .where(User.id.in_(sorted(user_ids)), may_browse,
               users_seeing_role(restricted_role(payload), project), ~muted).order_by(User.id))).all()
    return [Recipient(user_id, time_zone, settings, role == CUSTOMER_ROLE)
            for user_id, time_zone, settings, role in rows]


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
