"""Reads that turn the names a query uses into ids, within the caller's organization and only
among what the caller may browse: anything else "does not exist", exactly like a typo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.models import Sprint
from tessera.db.refs import parse_id, parse_issue_key
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog
from tessera.issues.security import issue_visibility_filter
from tessera.projects.models import Component, Project, Version
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Group, GroupMember, IssueSecurityLevel, ProjectRoleMember, User
from tessera.tenancy.permissions import Permission, projects_holding

MAX_MATCHES = 10_000


@dataclass
class Scope:
    """Everything value resolution needs; `now` is fixed once per query so every relative
    date in it agrees."""

    session: AsyncSession
    actor: Actor
    catalog: OrgCatalog
    now: datetime
    filter_depth: int = 0
    # Components and versions already looked up, by (model, name or id as written): a list of
    # them (`component IN (a, b, c)`) is read in one query (prefetch_parts), not one per name.
    parts: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    @property
    def org(self) -> int:
        return self.actor.organization_id


def _browsable_ids(actor: Actor):  # type: ignore[no-untyped-def]
    return select(Project.id).where(browsable_projects_condition(actor)).scalar_subquery()


async def project_ids(scope: Scope, ref: str) -> list[int]:
    text = ref.strip()
    ref_id = parse_id(text)
    match = or_(func.lower(Project.key) == text.lower(), func.lower(Project.name) == text.lower())
    if ref_id is not None:
        match = or_(match, Project.id == ref_id)
    rows = await scope.session.scalars(select(Project.id).where(browsable_projects_condition(scope.actor), match))
    return list(rows)


async def user_ids(scope: Scope, ref: str) -> list[int]:
    """By id, email or display name, case-insensitively."""
    text = ref.strip()
    ref_id = parse_id(text)
    match = or_(func.lower(User.email) == text.lower(), func.lower(User.display_name) == text.lower())
    if ref_id is not None:
        match = or_(match, User.id == ref_id)
    rows = await scope.session.scalars(select(User.id).where(User.organization_id == scope.org, match)
                                       .limit(MAX_MATCHES))
    return list(rows)


async def group_member_ids(scope: Scope, name: str) -> list[int] | None:
    """None when the group does not exist."""
    group_id = await scope.session.scalar(select(Group.id).where(
        Group.organization_id == scope.org, func.lower(Group.name) == name.strip().lower()))
    if group_id is None:
        return None
    rows = await scope.session.scalars(select(GroupMember.user_id).where(
        GroupMember.organization_id == scope.org, GroupMember.group_id == group_id))
    return list(rows)


async def part_ids(scope: Scope, model: type[Component | Version], ref: str) -> list[int]:
    """Components or versions of browsable projects, by id or name (several projects may
    share a name: all of them match, as in Jira)."""
    text = ref.strip()
    known = scope.parts.get((model.__name__, text))
    if known is None:
        await prefetch_parts(scope, model, [text])
        known = scope.parts[(model.__name__, text)]
    return list(known)


async def prefetch_parts(scope: Scope, model: type[Component | Version], refs: Sequence[str]) -> None:
    """part_ids of several names or ids in one read, kept in the scope for part_ids."""
    texts = {ref.strip() for ref in refs} - {text for kind, text in scope.parts if kind == model.__name__}
    if not texts:
        return
    ref_ids = {text: parse_id(text) for text in texts}
    match = func.lower(model.name).in_(sorted({text.lower() for text in texts}))
    if any(ref_id is not None for ref_id in ref_ids.values()):
        match = or_(match, model.id.in_(sorted({i for i in ref_ids.values() if i is not None})))
    rows = (await scope.session.execute(select(model.id, func.lower(model.name)).where(
        model.organization_id == scope.org, model.project_id.in_(_browsable_ids(scope.actor)), match))).all()
    for text in texts:
        scope.parts[(model.__name__, text)] = [part_id for part_id, name in rows
                                               if name == text.lower() or part_id == ref_ids[text]]


async def sprint_ids(scope: Scope, ref: str | None = None, *, states: Sequence[str] = ()) -> list[int]:
    query = select(Sprint.id).where(Sprint.organization_id == scope.org,
                                    Sprint.project_id.in_(_browsable_ids(scope.actor)))
    if ref is not None:
        text = ref.strip()
        ref_id = parse_id(text)
        match = func.lower(Sprint.name) == text.lower()
        query = query.where(or_(match, Sprint.id == ref_id) if ref_id is not None else match)
    if states:
        query = query.where(Sprint.state.in_(list(states)))
    return list(await scope.session.scalars(query))


async def level_ids(scope: Scope, ref: str) -> list[int]:
    """Issue security levels of the schemes browsable projects use, by id or name."""
    text = ref.strip()
    ref_id = parse_id(text)
    match = func.lower(IssueSecurityLevel.name) == text.lower()
    if ref_id is not None:
        match = or_(match, IssueSecurityLevel.id == ref_id)
    schemes = select(Project.issue_security_scheme_id).where(browsable_projects_condition(scope.actor))
    return list(await scope.session.scalars(select(IssueSecurityLevel.id).where(
        IssueSecurityLevel.organization_id == scope.org, IssueSecurityLevel.scheme_id.in_(schemes), match)))


async def find_issue(scope: Scope, ref: str) -> tuple[int, int, int] | None:
    """(id, project_id, number) of a browsable issue by key or id."""
    text = ref.strip()
    ref_id = parse_id(text)
    query = select(Issue.id, Issue.project_id, Issue.number).where(
        Issue.organization_id == scope.org, Issue.project_id.in_(_browsable_ids(scope.actor)))
    hidden = await issue_visibility_filter(scope.session, scope.actor)
    if hidden is not None:
        query = query.where(hidden)
    key = parse_issue_key(text)
    if ref_id is not None:
        query = query.where(Issue.id == ref_id)
    elif key is not None:
        query = query.where(Issue.key == key)
    else:
        return None
    row = (await scope.session.execute(query)).first()
    return None if row is None else (row[0], row[1], row[2])


async def version_rows(scope: Scope, project_ids: Sequence[int] | None = None
                       ) -> list[tuple[int, int, bool, date | None]]:
    """(id, project_id, released, release_date) of the versions not archived in browsable
    projects (in `project_ids` when given), in release order: by release date (undated last),
    then as created."""
    query = select(Version.id, Version.project_id, Version.released, Version.release_date).where(
        Version.organization_id == scope.org, Version.archived.is_(False),
        Version.project_id.in_(_browsable_ids(scope.actor)))
    if project_ids is not None:
        query = query.where(Version.project_id.in_(list(project_ids)))
    query = query.order_by(Version.release_date.is_(None), Version.release_date, Version.id)
    return [(row[0], row[1], row[2], row[3]) for row in await scope.session.execute(query)]


async def projects_where_role(scope: Scope, role: str) -> list[int]:
    """Browsable projects in which the caller holds the project role."""
    rows = await scope.session.scalars(select(ProjectRoleMember.project_id).where(
        ProjectRoleMember.organization_id == scope.org, ProjectRoleMember.user_id == scope.actor.user_id,
        ProjectRoleMember.role == role, ProjectRoleMember.project_id.in_(_browsable_ids(scope.actor))))
    return list(rows)


async def projects_where_permission(scope: Scope, permission: Permission) -> list[int]:
    """Browsable projects in which the caller holds the project permission: the permission
    engine of tessera.tenancy over every project at once (one read of the caller's roles)."""
    projects = (await scope.session.scalars(select(Project).where(browsable_projects_condition(scope.actor)))).all()
    return await projects_holding(scope.session, scope.actor, permission, projects)


async def led_ids(scope: Scope, model: type[Project | Component], user_ids: Sequence[int]) -> list[int]:
    """Browsable projects, or components of browsable projects, led by one of the users."""
    browsable = model.id if model is Project else model.project_id  # type: ignore[union-attr]
    rows = await scope.session.scalars(select(model.id).where(
        model.organization_id == scope.org, model.lead_id.in_(list(user_ids)),
        browsable.in_(_browsable_ids(scope.actor))))
    return list(rows)
