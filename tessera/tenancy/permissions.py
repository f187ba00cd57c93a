"""The one authorization function. Permissions are granted to holders, as in Jira's permission
schemes; the default scheme below is data, so a later permission-scheme editor only swaps it."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import NotFound, PermissionDenied
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import ProjectRoleMember


class Permission(StrEnum):
    ADMINISTER_ORGANIZATION = "ADMINISTER"
    CREATE_PROJECT = "CREATE_PROJECT"
    BROWSE_PROJECTS = "BROWSE_PROJECTS"
    ADMINISTER_PROJECTS = "ADMINISTER_PROJECTS"
    CREATE_ISSUES = "CREATE_ISSUES"
    EDIT_ISSUES = "EDIT_ISSUES"
    DELETE_ISSUES = "DELETE_ISSUES"
    ASSIGN_ISSUES = "ASSIGN_ISSUES"
    ASSIGNABLE_USER = "ASSIGNABLE_USER"
    TRANSITION_ISSUES = "TRANSITION_ISSUES"
    LINK_ISSUES = "LINK_ISSUES"
    ADD_COMMENTS = "ADD_COMMENTS"
    EDIT_ALL_COMMENTS = "EDIT_ALL_COMMENTS"
    DELETE_ALL_COMMENTS = "DELETE_ALL_COMMENTS"
    CREATE_ATTACHMENTS = "CREATE_ATTACHMENTS"
    DELETE_OWN_ATTACHMENTS = "DELETE_OWN_ATTACHMENTS"
    DELETE_ALL_ATTACHMENTS = "DELETE_ALL_ATTACHMENTS"
    SCHEDULE_ISSUES = "SCHEDULE_ISSUES"  # rank issues, plan them into sprints
    MANAGE_SPRINTS = "MANAGE_SPRINTS"  # create, start, complete and edit sprints


# Holders: "org:<role>" (any organization member of that role; open projects only),
# "role:<project role>" (members of that project role) and "lead".
_MEMBER_WORK = frozenset({"org:admin", "org:member", "role:administrators", "role:developers", "lead"})
DEFAULT_SCHEME: dict[Permission, frozenset[str]] = {
    Permission.BROWSE_PROJECTS: _MEMBER_WORK | {"org:viewer", "role:users"},
    Permission.CREATE_ISSUES: _MEMBER_WORK | {"role:users"},
    Permission.ADD_COMMENTS: _MEMBER_WORK | {"role:users"},
    Permission.EDIT_ISSUES: _MEMBER_WORK,
    Permission.ASSIGN_ISSUES: _MEMBER_WORK,
    Permission.ASSIGNABLE_USER: _MEMBER_WORK,
    Permission.TRANSITION_ISSUES: _MEMBER_WORK,
    Permission.LINK_ISSUES: _MEMBER_WORK,
    Permission.DELETE_ISSUES: frozenset({"org:admin", "role:administrators", "lead"}),
    Permission.EDIT_ALL_COMMENTS: frozenset({"org:admin", "role:administrators", "lead"}),
    Permission.DELETE_ALL_COMMENTS: frozenset({"org:admin", "role:administrators", "lead"}),
    Permission.ADMINISTER_PROJECTS: frozenset({"org:admin", "role:administrators", "lead"}),
    Permission.CREATE_ATTACHMENTS: _MEMBER_WORK | {"role:users"},
    Permission.DELETE_OWN_ATTACHMENTS: _MEMBER_WORK | {"role:users"},
    Permission.DELETE_ALL_ATTACHMENTS: frozenset({"org:admin", "role:administrators", "lead"}),
    Permission.SCHEDULE_ISSUES: _MEMBER_WORK,
    Permission.MANAGE_SPRINTS: _MEMBER_WORK,
}


class ProjectLike(Protocol):
    id: int
    organization_id: int
    access: str
    lead_id: int | None


async def load_project_roles(session: AsyncSession, actor: Actor, project_id: int) -> frozenset[str]:
    if project_id not in actor.project_roles:
        roles = (await session.scalars(select(ProjectRoleMember.role).where(
            ProjectRoleMember.organization_id == actor.organization_id,
            ProjectRoleMember.project_id == project_id, ProjectRoleMember.user_id == actor.user_id))).all()
        actor.project_roles[project_id] = frozenset(roles)
    return actor.project_roles[project_id]


def holders_of(actor: Actor, project: ProjectLike, roles: frozenset[str]) -> set[str]:
    holders = {f"role:{role}" for role in roles}
    # Organization admins see everything; other org-wide grants apply to open projects only.
    if actor.org_role == "admin" or project.access == "open":
        holders.add(f"org:{actor.org_role}")
    if project.lead_id is not None and project.lead_id == actor.user_id:
        holders.add("lead")
    return holders


async def has_permission(session: AsyncSession, actor: Actor, permission: Permission,
                         project: ProjectLike) -> bool:
    if project.organization_id != actor.organization_id:
        return False
    if actor.org_role == "admin":
        return True
    roles = await load_project_roles(session, actor, project.id)
    return bool(holders_of(actor, project, roles) & DEFAULT_SCHEME[permission])


async def authorize(session: AsyncSession, actor: Actor, permission: Permission,
                    project: ProjectLike | None = None) -> None:
    """Raise unless the actor holds `permission` (on `project` for project permissions).

    A caller who may not even browse the project gets NotFound, so that private projects and
    other organizations' data are indistinguishable from missing ones.
    """
    if project is None:
        if permission is Permission.ADMINISTER_ORGANIZATION and actor.org_role != "admin":
            raise PermissionDenied("Only organization administrators may do this.")
        if permission is Permission.CREATE_PROJECT and actor.org_role != "admin":
            raise PermissionDenied("Only organization administrators may create projects.")
        return
    if not await has_permission(session, actor, Permission.BROWSE_PROJECTS, project):
        raise NotFound("Project not found.")
    if permission is not Permission.BROWSE_PROJECTS and not await has_permission(session, actor, permission, project):
        raise PermissionDenied(f"You do not have the {permission.value} permission in this project.")


async def permissions_held(session: AsyncSession, actor: Actor, project: ProjectLike) -> frozenset[str]:
    """Every project permission the actor holds in `project` (for workflow rules)."""
    if project.organization_id != actor.organization_id:
        return frozenset()
    if actor.org_role == "admin":
        return frozenset(p.value for p in Permission)
    holders = holders_of(actor, project, await load_project_roles(session, actor, project.id))
    return frozenset(p.value for p, granted in DEFAULT_SCHEME.items() if holders & granted)


def require_org_admin(actor: Actor, refusal: str) -> None:
    """Organization-wide settings (webhooks, Git connections, deliveries) are their admins' alone;
    `refusal` says what the others may not do."""
    if not actor.is_org_admin:
        raise PermissionDenied(refusal)
