"""Issue security on issues: which issues an actor may see (the SQL condition every list, search
and count adds next to the browsable-projects filter) and which level an issue gets when it is
created or edited. The rule itself is tenancy.issue_security's (one membership rule, in Python
and in SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor
from tessera.tenancy.issue_security import is_level_member, uses_issue_security
from tessera.tenancy.models import IssueSecurityLevel, IssueSecurityScheme
from tessera.tenancy.permission_sql import IssueColumns, issue_visible_sql
from tessera.tenancy.permissions import Permission, has_permission

SECURITY_FIELD = "security_level"


def issue_columns(issue: Any = Issue) -> IssueColumns:
    """The columns issue security reads, of Issue or of an alias or table with its column names."""
    columns = getattr(issue, "c", issue)
    return IssueColumns(columns.id, columns.project_id, columns.reporter_id, columns.assignee_id,
                        columns.security_level_id)


def issue_visible_condition(actor: Actor, issue: Any = None) -> ColumnElement[bool]:
    """SQL over `issue` (Issue by default; an alias or Issue.__table__ works too): the issue has
    no security level or the actor is a member of its level. Add it where
    browsable_projects_condition selects the projects."""
    if issue is None:
        return _visible(actor.organization_id, actor.user_id, actor.org_role)
    return issue_visible_sql(issue_columns(issue), organization_id=actor.organization_id, user_id=actor.user_id,
                             org_role=actor.org_role)


@lru_cache(maxsize=4096)
def _visible(organization_id: int, user_id: int, org_role: str) -> ColumnElement[bool]:
    """Built once per user (immutable, values bound), as projects.service._browsable."""
    return issue_visible_sql(issue_columns(Issue), organization_id=organization_id, user_id=user_id,
                             org_role=org_role)


async def issue_visibility_filter(session: AsyncSession, actor: Actor, issue: Any = None
                                  ) -> ColumnElement[bool] | None:
    """issue_visible_condition, or None when it cannot hide anything (no levels in the
    organization, or an organization administrator): searches stay as fast as before then."""
    if not await uses_issue_security(session, actor):
        return None
    return issue_visible_condition(actor, issue)


async def readable_issue_conditions(session: AsyncSession, actor: Actor) -> list[ColumnElement[bool]]:
    """Conditions over Issue: of the actor's organization, in a project they may browse, and
    visible by issue security. For reads that start from something other than a search (a sprint's
    record, a card's epic) and must show only issues the actor could open."""
    conditions = [Issue.organization_id == actor.organization_id,
                  Issue.project_id.in_(select(Project.id).where(browsable_projects_condition(actor)))]
    hidden = await issue_visibility_filter(session, actor)
    if hidden is not None:
        conditions.append(hidden)
    return conditions


async def visible_issue_ids(session: AsyncSession, actor: Actor, ids: Any) -> set[int]:
    """Of `ids` (issues of the actor's organization), those the actor may see by issue security."""
    ids = set(ids)
    condition = await issue_visibility_filter(session, actor)
    if condition is None or not ids:
        return ids
    return set((await session.scalars(select(Issue.id).where(
        Issue.organization_id == actor.organization_id, Issue.id.in_(ids), condition))).all())


@dataclass(frozen=True)
class _Prospective:
    """The issue being created, as the level's reporter and assignee members see it."""

    id: int
    reporter_id: int | None
    assignee_id: int | None
    security_level_id: int | None = None


async def project_levels(session: AsyncSession, organization_id: int, project: Project) -> list[IssueSecurityLevel]:
    if project.issue_security_scheme_id is None:
        return []
    return list((await session.scalars(select(IssueSecurityLevel).where(
        IssueSecurityLevel.organization_id == organization_id,
        IssueSecurityLevel.scheme_id == project.issue_security_scheme_id).order_by(IssueSecurityLevel.name))).all())


async def settable_levels(session: AsyncSession, actor: Actor, project: Project,
                          issue: Any = None) -> list[IssueSecurityLevel]:
    """The levels of the project's scheme the actor may set (holds SET_ISSUE_SECURITY, is a member);
    without `issue`, of an issue the actor would create and so report."""
    levels = await project_levels(session, actor.organization_id, project)
    if not levels or not await has_permission(session, actor, Permission.SET_ISSUE_SECURITY, project):
        return []
    subject = issue if issue is not None else _Prospective(0, actor.user_id, None)
    return [level for level in levels if await is_level_member(session, actor, level.id, project, subject)]


async def default_level_id(session: AsyncSession, organization_id: int, project: Project) -> int | None:
    if project.issue_security_scheme_id is None:
        return None
    return await session.scalar(select(IssueSecurityScheme.default_level_id).where(
        IssueSecurityScheme.organization_id == organization_id,
        IssueSecurityScheme.id == project.issue_security_scheme_id))


async def resolve_security_level(session: AsyncSession, *, actor: Actor, project: Project, ref: object,
                                 issue: Any, reporter_id: int | None, assignee_id: int | None) -> int | None:
    """The level id `ref` names (an id, {"id": ...}, {"name": ...} or a name; None clears it),
    checked: the actor holds SET_ISSUE_SECURITY, the level is in the project's scheme and the
    actor is one of its members (no one hides an issue from themselves). Sending an issue's
    current level back (a Jira client's round trip) is no change and needs neither."""
    if isinstance(ref, dict):
        ref = ref.get("id", ref.get("name"))
    found = None
    if not (ref is None or ref == "" or (isinstance(ref, str) and ref.strip().lower() in ("none", "-1"))):
        if project.issue_security_scheme_id is None:
            raise InvalidInput(f"The security level cannot be set: project {project.key} has no issue security "
                               "scheme.", field=SECURITY_FIELD)
        levels = await project_levels(session, actor.organization_id, project)
        level_id = parse_id(ref)
        found = next((level for level in levels if level.id == level_id), None) if level_id is not None else None
        if found is None and isinstance(ref, str):
            found = next((level for level in levels if level.name.lower() == ref.strip().lower()), None)
        if found is None:
            raise InvalidInput(f"The security level '{str(ref)[:100]}' is not a level of project {project.key}'s "
                               "issue security scheme.", field=SECURITY_FIELD)
    wanted = found.id if found is not None else None
    if issue is not None and wanted == issue.security_level_id:
        return wanted
    if not await has_permission(session, actor, Permission.SET_ISSUE_SECURITY, project):
        raise InvalidInput("You do not have the SET_ISSUE_SECURITY permission in this project.",
                           field=SECURITY_FIELD)
    if found is None:
        return None
    subject = issue if issue is not None else _Prospective(0, reporter_id, assignee_id)
    if not await is_level_member(session, actor, found.id, project, subject):
        raise InvalidInput(f"You are not a member of the security level '{found.name}', so you may not set it.",
                           field=SECURITY_FIELD)
    return found.id


async def level_names(session: AsyncSession, organization_id: int, ids: Any) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict((await session.execute(select(IssueSecurityLevel.id, IssueSecurityLevel.name).where(
        IssueSecurityLevel.organization_id == organization_id, IssueSecurityLevel.id.in_(ids)))).all())
