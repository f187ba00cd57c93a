"""Who among a process's live subscribers may receive a message about a project.

Each decision comes from the one permission function (tenancy.permissions.has_permission) and
is cached per (organization, user, project) for `ttl` seconds, so delivering an event to a
hundred watchers costs no query at all most of the time, and at most one batched query (three
statements) for every watcher whose entry expired. That bounds how long a user who lost access
(removed from a project role, demoted, deactivated) keeps receiving events: `ttl` seconds, five
by default. Events that change access (`PERMISSION_EVENTS`, e.g. a project's access level) drop
the cached entries at once, in every process, because they travel the same stream as the
messages they govern.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from tessera.db.engine import Database
from tessera.issues.audience import users_in_issue_level
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import ProjectRoleMember, User
from tessera.tenancy.permissions import Permission, administers, has_permission

_PRUNE_ABOVE = 50_000


@dataclass(frozen=True)
class Grant:
    active: bool
    may_browse: bool
    org_role: str
    project_roles: frozenset[str]
    administers: bool = False  # tenancy.permissions.administers

    def sees(self, visibility: dict | None) -> bool:
        """A restricted comment: org admins and members of the named project role see it (as
        issues.audience decides for lists and search); unknown restriction kinds are refused."""
        if not visibility:
            return True
        if self.administers:
            return True
        return visibility.get("type") == "role" and visibility.get("value") in self.project_roles


NO_ACCESS = Grant(active=False, may_browse=False, org_role="", project_roles=frozenset())


class AccessCache:
    def __init__(self, database: Database, *, ttl: float) -> None:
        self._database = database
        self.ttl = ttl
        self._entries: dict[tuple[int, int, int], tuple[float, Grant]] = {}
        # (organization, issue, user) -> (expiry, may see the issue by issue security)
        self._issue_entries: dict[tuple[int, int, int], tuple[float, bool]] = {}

    def prime(self, actor: Actor, project_id: int) -> None:
        """Record what a connection's own authorization just established (roles loaded by it)."""
        roles = actor.project_roles.get(project_id, frozenset())
        grant = Grant(active=True, may_browse=True, org_role=actor.org_role, project_roles=roles,
                      administers=actor.is_org_admin)
        self._entries[(actor.organization_id, actor.user_id, project_id)] = (time.monotonic() + self.ttl, grant)

    def invalidate(self, organization_id: int, project_id: int | None = None) -> None:
        self._entries = {key: value for key, value in self._entries.items()
                         if not (key[0] == organization_id and (project_id is None or key[2] == project_id))}
        self._issue_entries = {key: value for key, value in self._issue_entries.items()
                               if key[0] != organization_id}

    async def issue_readers(self, organization_id: int, issue_id: int | None, user_ids: Iterable[int]) -> set[int]:
        """Of `user_ids`, who may see the issue by issue security (tessera.tenancy.issue_security);
        cached per (organization, issue, user) for `ttl` seconds as the project grants are."""
        wanted = set(user_ids)
        if issue_id is None or not wanted:
            return wanted
        now = time.monotonic()
        found: set[int] = set()
        stale: set[int] = set()
        for user_id in wanted:
            entry = self._issue_entries.get((organization_id, issue_id, user_id))
            if entry is not None and entry[0] > now:
                if entry[1]:
                    found.add(user_id)
            else:
                stale.add(user_id)
        if stale:
            fresh = await self._load_issue_readers(organization_id, issue_id, stale)
            expires = time.monotonic() + self.ttl
            if len(self._issue_entries) > _PRUNE_ABOVE:
                self._issue_entries = {k: v for k, v in self._issue_entries.items() if v[0] > now}
            for user_id in stale:
                self._issue_entries[(organization_id, issue_id, user_id)] = (expires, user_id in fresh)
            found |= fresh
        return found

    async def _load_issue_readers(self, organization_id: int, issue_id: int, user_ids: set[int]) -> set[int]:
        async with self._database.unit_of_work(write=False, organization_id=organization_id) as session:
            issue = (await session.execute(select(
                Issue.id, Issue.organization_id, Issue.project_id, Issue.reporter_id, Issue.assignee_id,
                Issue.security_level_id).where(Issue.organization_id == organization_id, Issue.id == issue_id))).first()
            if issue is None or issue.security_level_id is None:  # gone: the project's grants decide
                return user_ids
            return set((await session.scalars(select(User.id).where(
                User.organization_id == organization_id, User.id.in_(user_ids), users_in_issue_level(issue)))).all())

    async def grants(self, organization_id: int, project_id: int, user_ids: Iterable[int]) -> dict[int, Grant]:
        now = time.monotonic()
        found: dict[int, Grant] = {}
        stale: set[int] = set()
        for user_id in set(user_ids):
            entry = self._entries.get((organization_id, user_id, project_id))
            if entry is not None and entry[0] > now:
                found[user_id] = entry[1]
            else:
                stale.add(user_id)
        if stale:
            fresh = await self._load(organization_id, project_id, stale)
            expires = time.monotonic() + self.ttl
            if len(self._entries) > _PRUNE_ABOVE:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            for user_id, grant in fresh.items():
                self._entries[(organization_id, user_id, project_id)] = (expires, grant)
            found.update(fresh)
        return found

    async def _load(self, organization_id: int, project_id: int, user_ids: set[int]) -> dict[int, Grant]:
        grants = dict.fromkeys(user_ids, NO_ACCESS)
        async with self._database.unit_of_work(write=False, organization_id=organization_id) as session:
            project = await session.scalar(select(Project).where(
                Project.organization_id == organization_id, Project.id == project_id))
            if project is None:
                return grants
            users = (await session.execute(select(User.id, User.role, User.active).where(
                User.organization_id == organization_id, User.id.in_(user_ids)))).all()
            roles: dict[int, set[str]] = {}
            for user_id, role in (await session.execute(select(ProjectRoleMember.user_id, ProjectRoleMember.role)
                                                        .where(ProjectRoleMember.organization_id == organization_id,
                                                               ProjectRoleMember.project_id == project_id,
                                                               ProjectRoleMember.user_id.in_(user_ids)))).all():
                roles.setdefault(user_id, set()).add(role)
            for user_id, org_role, active in users:
                held = frozenset(roles.get(user_id, ()))
                # Project roles filled in, so the permission function decides without a query.
                actor = Actor(organization_id=organization_id, user_id=user_id, email="", display_name="",
                              org_role=org_role, via="live", project_roles={project_id: held})
                may_browse = bool(active) and await has_permission(session, actor, Permission.BROWSE_PROJECTS,
                                                                   project)
                grants[user_id] = Grant(active=bool(active), may_browse=may_browse, org_role=org_role,
                                        project_roles=held, administers=await administers(session, actor))
        return grants
