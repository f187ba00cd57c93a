"""Issue security levels, read (Jira's model; edited in tessera.projects.issue_security): an
issue at a level is visible only to the level's members, holders of the same kinds as a
permission grant's, decided by the same engine (tenancy.permissions `_holds`); organization
administrators see every level. Two forms of the one rule:
- `_level_guard`, registered in tenancy.permissions.ISSUE_GUARDS, so every `authorize` and
  `has_permission` about one issue refuses (NotFound) an issue the actor may not see;
- tenancy.permission_sql.issue_visible_sql, the SQL twin for lists, searches and counts
  (tessera.issues.security.issue_visible_condition binds it to the issues table).

Levels and members are read once per catalog version (every change bumps it, as permission
schemes do) and kept in the process."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.tenancy.actor import Actor
from tessera.tenancy.models import IssueSecurityLevel, IssueSecurityLevelMember
from tessera.tenancy.permissions import (
    ISSUE_GUARDS,
    Grant,
    IssueLike,
    ProjectLike,
    _holds,
    load_project_roles,
)


@dataclass(frozen=True)
class OrgLevels:
    """An organization's levels (id -> scheme id) and their members as grants, at one catalog version."""

    schemes: dict[int, int]
    members: dict[int, tuple[Grant, ...]]


_CACHE: OrderedDict[tuple[str, int, int], OrgLevels] = OrderedDict()
_CACHE_SIZE = 2048


async def _load(session: AsyncSession, organization_id: int) -> OrgLevels:
    schemes = dict((await session.execute(select(IssueSecurityLevel.id, IssueSecurityLevel.scheme_id).where(
        IssueSecurityLevel.organization_id == organization_id))).all())
    members: dict[int, list[Grant]] = {level_id: [] for level_id in schemes}
    for row in await session.scalars(select(IssueSecurityLevelMember).where(
            IssueSecurityLevelMember.organization_id == organization_id)):
        members.setdefault(row.level_id, []).append(
            Grant(row.id, "", row.holder_type, row.parameter, row.group_id, row.user_id))
    return OrgLevels(schemes, {level_id: tuple(found) for level_id, found in members.items()})


async def org_levels(session: AsyncSession, actor: Actor) -> OrgLevels:
    if actor.catalog_version is None:
        return await _load(session, actor.organization_id)
    key = (str(session.bind.url), actor.organization_id, actor.catalog_version)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = await _load(session, actor.organization_id)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return found


async def uses_issue_security(session: AsyncSession, actor: Actor) -> bool:
    """Whether any issue of the organization may be at a level (it has levels) and the actor is
    not one who sees every level: lists and searches skip the SQL condition otherwise."""
    return not actor.is_org_admin and bool((await org_levels(session, actor)).schemes)


async def is_level_member(session: AsyncSession, actor: Actor, level_id: int, project: ProjectLike,
                          issue: IssueLike | None) -> bool:
    """Whether the actor is a member of the level, in `project` (about `issue`: reporter,
    assignee and user field members count then)."""
    if actor.is_org_admin:
        return True
    if project.organization_id != actor.organization_id:
        return False
    members = (await org_levels(session, actor)).members.get(level_id)
    if not members:
        return False
    roles = await load_project_roles(session, actor, project.id)
    return await _holds(session, actor, members, project, roles, issue)


async def _level_guard(session: AsyncSession, actor: Actor, project: ProjectLike, issue: IssueLike) -> bool:
    level_id = getattr(issue, "security_level_id", None)
    if level_id is None:
        return True
    return await is_level_member(session, actor, level_id, project, issue)


ISSUE_GUARDS.append(_level_guard)
