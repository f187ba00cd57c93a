"""The one authorization engine. Project permissions are granted to holders by permission schemes
(Jira's model: named, per organization, shared by projects; tenancy.models.PermissionScheme);
organization-wide permissions by global grants. Every surface asks here (`authorize`,
`has_permission`, `permissions_held`) or, for lists and search, through the SQL twin of the same
rules (tenancy.permission_sql).

Holders (HOLDER_TYPES): anyone signed in and organization roles count in open projects only (a
private project admits by project role, group, user or lead); organization administrators hold
every permission everywhere. Reporter, current assignee and user custom field holders are about
one issue: they count only when the issue is known (`issue=`), so "edit own issues" is an
EDIT_ISSUES grant to the reporter.

Caching: an organization's schemes and global grants are read once per catalog version and kept
in the process (`org_permissions`); every scheme, grant or assignment change bumps the
organization's catalog version (tenancy.service.do_bump_catalog_version) in its transaction, so
each process reads them again on its next request, and its CatalogChanged event drops the cached
principals and live permission checks everywhere. A request's own answers (the actor's project
roles and groups) are kept on the Actor for that request only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import NotFound, PermissionDenied
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import (
    CUSTOMER_ROLE,
    GlobalPermissionGrant,
    GroupMember,
    PermissionGrant,
    PermissionScheme,
    ProjectRoleMember,
)


class Permission(StrEnum):
    """Values are Jira's permission keys (mypermissions and permission schemes use them)."""

    # Global permissions (GLOBAL_PERMISSIONS)
    ADMINISTER_ORGANIZATION = "ADMINISTER"
    CREATE_PROJECT = "CREATE_PROJECT"
    USER_PICKER = "USER_PICKER"  # browse users and groups
    BULK_CHANGE = "BULK_CHANGE"
    CREATE_SHARED_OBJECTS = "CREATE_SHARED_OBJECTS"  # share filters and dashboards
    # Project permissions
    ADMINISTER_PROJECTS = "ADMINISTER_PROJECTS"
    BROWSE_PROJECTS = "BROWSE_PROJECTS"
    MANAGE_SPRINTS = "MANAGE_SPRINTS_PERMISSION"  # create, start, complete and edit sprints
    CREATE_ISSUES = "CREATE_ISSUES"
    EDIT_ISSUES = "EDIT_ISSUES"
    DELETE_ISSUES = "DELETE_ISSUES"
    ASSIGN_ISSUES = "ASSIGN_ISSUES"
    ASSIGNABLE_USER = "ASSIGNABLE_USER"
    TRANSITION_ISSUES = "TRANSITION_ISSUES"
    RESOLVE_ISSUES = "RESOLVE_ISSUES"
    CLOSE_ISSUES = "CLOSE_ISSUES"
    MOVE_ISSUES = "MOVE_ISSUES"
    LINK_ISSUES = "LINK_ISSUES"
    SCHEDULE_ISSUES = "SCHEDULE_ISSUES"  # rank issues, plan them into sprints
    SET_ISSUE_SECURITY = "SET_ISSUE_SECURITY"
    ADD_COMMENTS = "ADD_COMMENTS"
    EDIT_OWN_COMMENTS = "EDIT_OWN_COMMENTS"
    EDIT_ALL_COMMENTS = "EDIT_ALL_COMMENTS"
    DELETE_OWN_COMMENTS = "DELETE_OWN_COMMENTS"
    DELETE_ALL_COMMENTS = "DELETE_ALL_COMMENTS"
    CREATE_ATTACHMENTS = "CREATE_ATTACHMENTS"
    DELETE_OWN_ATTACHMENTS = "DELETE_OWN_ATTACHMENTS"
    DELETE_ALL_ATTACHMENTS = "DELETE_ALL_ATTACHMENTS"
    MANAGE_WATCHERS = "MANAGE_WATCHERS"
    VIEW_VOTERS_AND_WATCHERS = "VIEW_VOTERS_AND_WATCHERS"
    WORK_ON_ISSUES = "WORK_ON_ISSUES"
    EDIT_OWN_WORKLOGS = "EDIT_OWN_WORKLOGS"
    EDIT_ALL_WORKLOGS = "EDIT_ALL_WORKLOGS"
    DELETE_OWN_WORKLOGS = "DELETE_OWN_WORKLOGS"
    DELETE_ALL_WORKLOGS = "DELETE_ALL_WORKLOGS"


GLOBAL_PERMISSIONS = (Permission.ADMINISTER_ORGANIZATION, Permission.CREATE_PROJECT, Permission.USER_PICKER,
                      Permission.BULK_CHANGE, Permission.CREATE_SHARED_OBJECTS)
PROJECT_PERMISSIONS = tuple(p for p in Permission if p not in GLOBAL_PERMISSIONS)

# Holder types of a project permission grant, and what `parameter` holds for each.
ANYONE, ORG_ROLE, PROJECT_ROLE, GROUP, USER = "anyone", "org_role", "project_role", "group", "user"
REPORTER, ASSIGNEE, PROJECT_LEAD, USER_FIELD = "reporter", "assignee", "project_lead", "user_field"
HOLDER_TYPES = (ANYONE, ORG_ROLE, PROJECT_ROLE, GROUP, USER, REPORTER, ASSIGNEE, PROJECT_LEAD, USER_FIELD)
# Holders decided by the issue, not the project.
ISSUE_HOLDERS = frozenset({REPORTER, ASSIGNEE, USER_FIELD})
GLOBAL_HOLDER_TYPES = (ORG_ROLE, GROUP)

# The default scheme every organization starts with (and every project uses until given
# another): what Tessera always granted. (holder type, parameter) per permission.
_ADMINS = ((ORG_ROLE, "admin"), (PROJECT_ROLE, "administrators"), (PROJECT_LEAD, None))
_MEMBER_WORK = (*_ADMINS, (ORG_ROLE, "member"), (PROJECT_ROLE, "developers"))
_USERS = (*_MEMBER_WORK, (PROJECT_ROLE, "users"))
_OWN = ((REPORTER, None),)
DEFAULT_GRANTS: dict[Permission, tuple[tuple[str, str | None], ...]] = {
    Permission.BROWSE_PROJECTS: (*_USERS, (ORG_ROLE, "viewer")),
    Permission.CREATE_ISSUES: _USERS,
    Permission.ADD_COMMENTS: _USERS,
    Permission.EDIT_ISSUES: _MEMBER_WORK,
    Permission.ASSIGN_ISSUES: _MEMBER_WORK,
    Permission.ASSIGNABLE_USER: _MEMBER_WORK,
    Permission.TRANSITION_ISSUES: _MEMBER_WORK,
    Permission.RESOLVE_ISSUES: _MEMBER_WORK,
    Permission.CLOSE_ISSUES: _MEMBER_WORK,
    Permission.MOVE_ISSUES: _MEMBER_WORK,
    Permission.LINK_ISSUES: _MEMBER_WORK,
    Permission.DELETE_ISSUES: _ADMINS,
    Permission.EDIT_OWN_COMMENTS: _USERS,
    Permission.EDIT_ALL_COMMENTS: _ADMINS,
    Permission.DELETE_OWN_COMMENTS: _USERS,
    Permission.DELETE_ALL_COMMENTS: _ADMINS,
    Permission.ADMINISTER_PROJECTS: _ADMINS,
    Permission.CREATE_ATTACHMENTS: _USERS,
    Permission.DELETE_OWN_ATTACHMENTS: _USERS,
    Permission.DELETE_ALL_ATTACHMENTS: _ADMINS,
    Permission.SCHEDULE_ISSUES: _MEMBER_WORK,
    Permission.MANAGE_SPRINTS: _MEMBER_WORK,
    Permission.SET_ISSUE_SECURITY: _ADMINS,
    Permission.MANAGE_WATCHERS: _ADMINS,
    Permission.VIEW_VOTERS_AND_WATCHERS: (*_USERS, (ORG_ROLE, "viewer")),
    Permission.WORK_ON_ISSUES: _MEMBER_WORK,
    Permission.EDIT_OWN_WORKLOGS: _MEMBER_WORK,
    Permission.EDIT_ALL_WORKLOGS: _ADMINS,
    Permission.DELETE_OWN_WORKLOGS: _MEMBER_WORK,
    Permission.DELETE_ALL_WORKLOGS: _ADMINS,
}
DEFAULT_GLOBAL_GRANTS: dict[Permission, tuple[str, ...]] = {  # organization roles
    Permission.ADMINISTER_ORGANIZATION: ("admin",),
    Permission.CREATE_PROJECT: ("admin",),
    Permission.USER_PICKER: ("admin", "member", "viewer"),
    Permission.BULK_CHANGE: ("admin", "member"),
    Permission.CREATE_SHARED_OBJECTS: ("admin", "member", "viewer"),
}
DEFAULT_SCHEME_NAME = "Default Permission Scheme"


class ProjectLike(Protocol):
    id: int
    organization_id: int
    access: str
    lead_id: int | None


class ProjectWithScheme(ProjectLike, Protocol):
    permission_scheme_id: int | None


class IssueLike(Protocol):
    id: int
    reporter_id: int | None
    assignee_id: int | None


@dataclass(frozen=True, slots=True)
class Grant:
    id: int
    permission: str
    holder_type: str
    parameter: str | None
    group_id: int | None
    user_id: int | None


@dataclass(frozen=True)
class OrgPermissions:
    """An organization's schemes (id -> grants by permission) and global grants, as read at one
    catalog version; shared across requests, so never changed."""

    default_scheme_id: int | None
    schemes: dict[int, dict[str, tuple[Grant, ...]]]
    global_grants: dict[str, tuple[Grant, ...]]

    def grants(self, scheme_id: int | None, permission: Permission) -> tuple[Grant, ...]:
        scheme = self.schemes.get(scheme_id if scheme_id is not None else self.default_scheme_id or 0)
        if scheme is None:
            scheme = self.schemes.get(self.default_scheme_id or 0, {})
        return scheme.get(permission.value, ())


@dataclass
class RequestPermissions:
    """What one request learnt about its actor: kept on the Actor (`Actor.permission_cache`)."""

    org: OrgPermissions | None = None
    groups: frozenset[int] | None = None
    user_fields: dict[tuple[int, str], bool] = field(default_factory=dict)


_ORG_CACHE: OrderedDict[tuple[str, int, int], OrgPermissions] = OrderedDict()
_ORG_CACHE_SIZE = 2048

# Issue-level checks that come after the scheme's answer (issue security levels will register
# here): each gets (session, actor, project, issue) and returns False to hide the issue.
IssueGuard = Callable[[AsyncSession, Actor, ProjectLike, IssueLike], Awaitable[bool]]
ISSUE_GUARDS: list[IssueGuard] = []


def _request(actor: Actor) -> RequestPermissions:
    cache = actor.permission_cache
    if not isinstance(cache, RequestPermissions):
        cache = actor.permission_cache = RequestPermissions()
    return cache


async def load_org_permissions(session: AsyncSession, organization_id: int) -> OrgPermissions:
    default_id = await session.scalar(select(PermissionScheme.id).where(
        PermissionScheme.organization_id == organization_id, PermissionScheme.is_default.is_(True)))
    schemes: dict[int, dict[str, list[Grant]]] = {}
    for scheme_id in await session.scalars(select(PermissionScheme.id).where(
            PermissionScheme.organization_id == organization_id)):
        schemes[scheme_id] = {}
    rows = await session.scalars(select(PermissionGrant).where(PermissionGrant.organization_id == organization_id))
    for row in rows:
        schemes.setdefault(row.scheme_id, {}).setdefault(row.permission, []).append(
            Grant(row.id, row.permission, row.holder_type, row.parameter, row.group_id, row.user_id))
    global_grants: dict[str, list[Grant]] = {}
    for row in await session.scalars(select(GlobalPermissionGrant).where(
            GlobalPermissionGrant.organization_id == organization_id)):
        global_grants.setdefault(row.permission, []).append(
            Grant(row.id, row.permission, row.holder_type, row.parameter, row.group_id, None))
    return OrgPermissions(default_scheme_id=default_id,
                          schemes={sid: {p: tuple(g) for p, g in by.items()} for sid, by in schemes.items()},
                          global_grants={p: tuple(g) for p, g in global_grants.items()})


async def org_permissions(session: AsyncSession, actor: Actor) -> OrgPermissions:
    cache = _request(actor)
    if cache.org is not None:
        return cache.org
    if actor.catalog_version is None:
        cache.org = await load_org_permissions(session, actor.organization_id)
        return cache.org
    # Keyed by database too, as tessera.issues.references.catalog_for: ids repeat across databases.
    key = (str(session.bind.url), actor.organization_id, actor.catalog_version)
    found = _ORG_CACHE.get(key)
    if found is None:
        found = await load_org_permissions(session, actor.organization_id)
        _ORG_CACHE[key] = found
        while len(_ORG_CACHE) > _ORG_CACHE_SIZE:
            _ORG_CACHE.popitem(last=False)
    else:
        _ORG_CACHE.move_to_end(key)
    cache.org = found
    return found


async def load_project_roles(session: AsyncSession, actor: Actor, project_id: int) -> frozenset[str]:
    if project_id not in actor.project_roles:
        roles = (await session.scalars(select(ProjectRoleMember.role).where(
            ProjectRoleMember.organization_id == actor.organization_id,
            ProjectRoleMember.project_id == project_id, ProjectRoleMember.user_id == actor.user_id))).all()
        actor.project_roles[project_id] = frozenset(roles)
    return actor.project_roles[project_id]


async def load_groups(session: AsyncSession, actor: Actor) -> frozenset[int]:
    cache = _request(actor)
    if cache.groups is None:
        cache.groups = frozenset((await session.scalars(select(GroupMember.group_id).where(
            GroupMember.organization_id == actor.organization_id, GroupMember.user_id == actor.user_id))).all())
    return cache.groups


async def _in_user_field(session: AsyncSession, actor: Actor, issue: IssueLike, field_ref: str | None) -> bool:
    """Whether the actor is a value of the issue's user custom field `field_ref` (its id). The
    values table belongs to tessera.issues, above this layer: named here, not imported."""
    if not field_ref or not field_ref.isdigit():
        return False
    cache = _request(actor)
    key = (issue.id, field_ref)
    if key not in cache.user_fields:
        from sqlalchemy import column, table  # a table of a higher layer, by name only

        values = table("custom_field_values", column("organization_id"), column("issue_id"), column("field_id"),
                       column("value_ref"))
        found = await session.scalar(select(values.c.issue_id).where(
            values.c.organization_id == actor.organization_id, values.c.issue_id == issue.id,
            values.c.field_id == int(field_ref), values.c.value_ref == actor.user_id).limit(1))
        cache.user_fields[key] = found is not None
    return cache.user_fields[key]


async def _holds(session: AsyncSession, actor: Actor, grants: Iterable[Grant], project: ProjectLike,
                 roles: frozenset[str], issue: IssueLike | None) -> bool:
    open_project = project.access == "open"
    for grant in grants:
        kind = grant.holder_type
        # Customers are nobody's "anyone" (tenancy.models.CUSTOMER_ROLE): what they may do, mail in
        # lends them for one message as a project role.
        if kind == ANYONE and open_project and actor.org_role != CUSTOMER_ROLE:
            return True
        if kind == ORG_ROLE and open_project and grant.parameter == actor.org_role:
            return True
        if kind == PROJECT_ROLE and grant.parameter in roles:
            return True
        if kind == USER and grant.user_id == actor.user_id:
            return True
        if kind == PROJECT_LEAD and project.lead_id is not None and project.lead_id == actor.user_id:
            return True
        if kind == GROUP and grant.group_id in await load_groups(session, actor):
            return True
        if issue is not None:
            if kind == REPORTER and issue.reporter_id == actor.user_id:
                return True
            if kind == ASSIGNEE and issue.assignee_id is not None and issue.assignee_id == actor.user_id:
                return True
            if kind == USER_FIELD and await _in_user_field(session, actor, issue, grant.parameter):
                return True
    return False


def _scheme_id(project: ProjectLike) -> int | None:
    return getattr(project, "permission_scheme_id", None)


async def has_permission(session: AsyncSession, actor: Actor, permission: Permission,
                         project: ProjectLike, issue: IssueLike | None = None) -> bool:
    """Whether the actor holds the project permission in `project` (about `issue` when given:
    reporter, assignee and user field grants count then, and the issue guards must agree)."""
    if project.organization_id != actor.organization_id:
        return False
    if not await administers(session, actor):
        org = await org_permissions(session, actor)
        roles = await load_project_roles(session, actor, project.id)
        if not await _holds(session, actor, org.grants(_scheme_id(project), permission), project, roles, issue):
            return False
    if issue is not None:
        for guard in ISSUE_GUARDS:
            if not await guard(session, actor, project, issue):
                return False
    return True


async def has_global_permission(session: AsyncSession, actor: Actor, permission: Permission) -> bool:
    if await administers(session, actor):
        return True
    return await _granted_globally(session, actor, permission)


async def _granted_globally(session: AsyncSession, actor: Actor, permission: Permission) -> bool:
    if actor.org_role == CUSTOMER_ROLE:
        return False
    org = await org_permissions(session, actor)
    for grant in org.global_grants.get(permission.value, ()):
        if grant.holder_type == ORG_ROLE and grant.parameter == actor.org_role:
            return True
        if grant.holder_type == GROUP and grant.group_id in await load_groups(session, actor):
            return True
    return False


async def administers(session: AsyncSession, actor: Actor) -> bool:
    """The one answer to "is this an organization administrator?": the admin role (an
    organization cannot lock its administrators out, whatever its grants say), or ADMINISTER
    granted by global permission to the actor's organization role or one of their groups.
    Administrators hold every permission everywhere. Decided once per actor and kept on it
    (`Actor.administers`), so `Actor.is_org_admin` answers synchronously afterwards; cached
    principals carrying it are dropped when a grant or a group changes (both bump the catalog
    version)."""
    if actor.org_role == "admin":
        return True
    if actor.administers is None:
        actor.administers = await _granted_globally(session, actor, Permission.ADMINISTER_ORGANIZATION)
    return actor.administers


async def authorize(session: AsyncSession, actor: Actor, permission: Permission,
                    project: ProjectLike | None = None, issue: IssueLike | None = None) -> None:
    """Raise unless the actor holds `permission` (on `project`, about `issue`, for project
    permissions; a global permission without a project).

    A caller who may not even browse the project gets NotFound, so that private projects and
    other organizations' data are indistinguishable from missing ones.
    """
    if project is None:
        if permission in GLOBAL_PERMISSIONS and not await has_global_permission(session, actor, permission):
            if permission is Permission.ADMINISTER_ORGANIZATION:
                raise PermissionDenied("Only organization administrators may do this.")
            if permission is Permission.CREATE_PROJECT:
                raise PermissionDenied("Only organization administrators may create projects.")
            raise PermissionDenied(f"You do not have the {permission.value} permission.")
        return
    if not await has_permission(session, actor, Permission.BROWSE_PROJECTS, project):
        raise NotFound("Project not found.")
    if issue is not None and ISSUE_GUARDS and not await has_permission(
            session, actor, Permission.BROWSE_PROJECTS, project, issue):
        raise NotFound("Issue not found.")
    if permission is not Permission.BROWSE_PROJECTS and not await has_permission(
            session, actor, permission, project, issue):
        raise PermissionDenied(f"You do not have the {permission.value} permission in this project.")


async def permissions_held(session: AsyncSession, actor: Actor, project: ProjectLike,
                           issue: IssueLike | None = None) -> frozenset[str]:
    """Every project permission the actor holds in `project` (about `issue` when given)."""
    if project.organization_id != actor.organization_id:
        return frozenset()
    return frozenset([p.value for p in PROJECT_PERMISSIONS
                      if await has_permission(session, actor, p, project, issue)])


@dataclass(frozen=True)
class _OpenProject:
    """A project of no particular lead or roles, open and on the default scheme."""

    id: int
    organization_id: int
    access: str = "open"
    lead_id: int | None = None
    permission_scheme_id: int | None = None


async def open_project_permissions(session: AsyncSession, actor: Actor) -> frozenset[str]:
    """What the organization's default scheme grants the actor in an open project where they hold
    no role (mypermissions without a project)."""
    actor.project_roles.setdefault(0, frozenset())
    return await permissions_held(session, actor, _OpenProject(id=0, organization_id=actor.organization_id))


async def global_permissions_held(session: AsyncSession, actor: Actor) -> frozenset[str]:
    return frozenset([p.value for p in GLOBAL_PERMISSIONS if await has_global_permission(session, actor, p)])


async def projects_holding(session: AsyncSession, actor: Actor, permission: Permission,
                           projects: Iterable[ProjectLike]) -> list[int]:
    """Ids of `projects` in which the actor holds `permission` (one read of the actor's roles)."""
    projects = list(projects)
    if not await administers(session, actor):
        missing = [p.id for p in projects if p.id not in actor.project_roles]
        if missing:
            rows = await session.execute(select(ProjectRoleMember.project_id, ProjectRoleMember.role).where(
                ProjectRoleMember.organization_id == actor.organization_id,
                ProjectRoleMember.user_id == actor.user_id, ProjectRoleMember.project_id.in_(missing)))
            found: dict[int, set[str]] = {}
            for project_id, role in rows:
                found.setdefault(project_id, set()).add(role)
            for project_id in missing:
                actor.project_roles[project_id] = frozenset(found.get(project_id, ()))
    return [p.id for p in projects if await has_permission(session, actor, permission, p)]


def require_org_admin(actor: Actor, refusal: str) -> None:
    """Organization-wide settings (webhooks, Git connections, deliveries) are their admins' alone;
    `refusal` says what the others may not do."""
    if not actor.is_org_admin:
        raise PermissionDenied(refusal)


async def do_seed_permissions(session: AsyncSession, organization_id: int) -> int:
    """A new organization's default permission scheme and global grants (DEFAULT_GRANTS,
    DEFAULT_GLOBAL_GRANTS); returns the scheme's id."""
    scheme = PermissionScheme(organization_id=organization_id, name=DEFAULT_SCHEME_NAME, description="",
                              is_default=True)
    session.add(scheme)
    await session.flush()
    session.add_all([PermissionGrant(organization_id=organization_id, scheme_id=scheme.id, permission=p.value,
                                     holder_type=kind, parameter=parameter)
                     for p, holders in DEFAULT_GRANTS.items() for kind, parameter in holders])
    session.add_all([GlobalPermissionGrant(organization_id=organization_id, permission=p.value,
                                           holder_type=ORG_ROLE, parameter=role)
                     for p, roles in DEFAULT_GLOBAL_GRANTS.items() for role in roles])
    await session.flush()
    return scheme.id


# Issue security registers its guard in ISSUE_GUARDS (last: it reads this module's engine).
from tessera.tenancy import issue_security as _issue_security  # noqa: E402, F401
