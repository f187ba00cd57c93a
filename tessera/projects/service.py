"""Projects: create, read, update, list, and their role memberships."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound, stale_version
from tessera.events.outbox import emit
from tessera.events.types import ProjectCreated, ProjectRolesChanged, ProjectUpdated
from tessera.projects.models import PROJECT_TYPES, Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import CUSTOMER_ROLE, PROJECT_ROLES, PermissionScheme, ProjectRoleMember, User
from tessera.tenancy.permission_sql import holds_sql
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.service import do_bump_catalog_version

PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
ACCESS_LEVELS = ("open", "private")
_PROJECT_BY_ID = select(Project).where(Project.organization_id == bindparam("org"), Project.id == bindparam("id"))
_PROJECT_BY_KEY = select(Project).where(Project.organization_id == bindparam("org"), Project.key == bindparam("key"))


async def get_project(session: AsyncSession, organization_id: int, ref: object) -> Project | None:
    """By id, prefixed id ("proj_12") or key, within one organization."""
    project_id = parse_id(ref)
    if project_id is not None:
        return await session.scalar(_PROJECT_BY_ID, {"org": organization_id, "id": project_id})
    if isinstance(ref, str) and ref.strip():
        return await session.scalar(_PROJECT_BY_KEY, {"org": organization_id, "key": ref.strip().upper()})
    return None


async def access_project(session: AsyncSession, actor: Actor, ref: object,
                         permission: Permission = Permission.BROWSE_PROJECTS) -> Project:
    project = await get_project(session, actor.organization_id, ref)
    if project is None:
        raise NotFound("Project not found.")
    await authorize(session, actor, permission, project)
    return project


def browsable_projects_condition(actor: Actor):  # type: ignore[no-untyped-def]
    """SQL condition over Project selecting what the actor may browse (used by lists and search):
    the permission engine's BROWSE_PROJECTS rules (tenancy.permission_sql) per project's scheme."""
    if actor.is_org_admin:
        return Project.organization_id == actor.organization_id
    return _browsable(actor.organization_id, actor.user_id, actor.org_role)


@lru_cache(maxsize=4096)
def _browsable(organization_id: int, user_id: int, org_role: str):  # type: ignore[no-untyped-def]
    """Built once per user: the expression takes milliseconds to build and is immutable, so every
    query of the user's may embed the same one (its values are bound, not part of the SQL)."""
    return (Project.organization_id == organization_id) & holds_sql(
        Permission.BROWSE_PROJECTS, organization_id=organization_id, scheme_id=Project.permission_scheme_id,
        project_id=Project.id, access=Project.access, lead_id=Project.lead_id, user_id=user_id, org_role=org_role)


async def list_projects(session: AsyncSession, actor: Actor, *, include_archived: bool = False) -> Sequence[Project]:
    query = select(Project).where(browsable_projects_condition(actor))
    if not include_archived:
        query = query.where(Project.archived.is_(False))
    return (await session.scalars(query.order_by(Project.key))).all()


async def _check_lead(session: AsyncSession, actor: Actor, lead_ref: object, *, field: str = "lead_id") -> int | None:
    """A user of the organization who may lead the project or hold a role in it: not a customer
    (customers hold no project role; tenancy.models.CUSTOMER_ROLE), named like a missing user."""
    if lead_ref is None:
        return None
    lead_id = parse_id(lead_ref)
    found = lead_id is not None and await session.scalar(select(User.id).where(
        User.organization_id == actor.organization_id, User.id == lead_id, User.role != CUSTOMER_ROLE))
    if not found:
        raise InvalidInput(f"The user '{str(lead_ref)[:100]}' does not exist.", field=field)
    return lead_id


def _check_choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}.", field=field)
    return value


async def check_create_project(session: AsyncSession, *, actor: Actor, key: str, name: str,
                               description: str = "", project_type: str = "software",
                               lead_id: object = None, access: str = "open",
                               default_workflow_id: int | None = None) -> Project:
    await authorize(session, actor, Permission.CREATE_PROJECT)
    key = key.strip().upper()
    if not PROJECT_KEY.match(key):
        raise InvalidInput("A project key is 2-10 capital letters or digits, starting with a letter.", field="key")
    name = name.strip()
    if not name:
        raise InvalidInput("A project needs a name.", field="name")
    project_type = _check_choice(project_type, PROJECT_TYPES, "project_type")
    access = _check_choice(access, ACCESS_LEVELS, "access")
    lead = await _check_lead(session, actor, lead_id if lead_id is not None else actor.user_id)
    if await get_project(session, actor.organization_id, key) is not None:
        raise Conflict(f"A project with key '{key}' already exists.", code="duplicate_key", field="key")
    project = Project(organization_id=actor.organization_id, key=key, name=name, description=description,
                      project_type=project_type, lead_id=lead, access=access,
                      default_workflow_id=default_workflow_id, issue_counter=0, version=1,
                      permission_scheme_id=await session.scalar(select(PermissionScheme.id).where(
                          PermissionScheme.organization_id == actor.organization_id,
                          PermissionScheme.is_default.is_(True))))
    session.add(project)
    await session.flush()
    session.add(ProjectRoleMember(organization_id=actor.organization_id, project_id=project.id,
                                  user_id=lead or actor.user_id, role="administrators"))
    await session.flush()
    await emit(session, ProjectCreated(project_id=project.id, project_key=project.key, user_id=actor.user_id),
               organization_id=actor.organization_id, aggregate_id=project.id, actor_id=actor.user_id)
    return project


async def check_update_project(session: AsyncSession, *, actor: Actor, project: Project,
                               changes: dict[str, object], expected_version: int | None,
                               via_if_match: bool = False) -> Project:
    """Key changes are refused: issue keys are derived from it and links to them must stay valid.
    A stale version is a 409, or a 412 when it came as If-Match (`via_if_match`), also when a
    concurrent writer wins the guarded UPDATE below."""
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    via_if_match = via_if_match and expected_version is not None
    if expected_version is not None and expected_version != project.version:
        raise stale_version("The project was changed by someone else.", via_if_match=via_if_match,
                            data={"current_version": project.version})
    values: dict[str, object] = {}
    for field, value in changes.items():
        if field == "key" and str(value).strip().upper() != project.key:
            raise InvalidInput("A project's key cannot be changed.", field="key")
        elif field == "name":
            if not str(value).strip():
                raise InvalidInput("A project needs a name.", field="name")
            values["name"] = str(value).strip()
        elif field == "description":
            values["description"] = str(value or "")
        elif field == "project_type":
            values["project_type"] = _check_choice(str(value), PROJECT_TYPES, "project_type")
        elif field == "access":
            values["access"] = _check_choice(str(value), ACCESS_LEVELS, "access")
        elif field == "lead_id":
            values["lead_id"] = await _check_lead(session, actor, value)
        elif field == "archived":
            values["archived"] = bool(value)
    if values:
        result = await session.execute(
            update(Project).where(Project.id == project.id, Project.version == project.version)
            .values(**values, version=project.version + 1).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            await session.refresh(project)
            raise stale_version("The project was changed by someone else.", via_if_match=via_if_match,
                                data={"current_version": project.version})
        await session.refresh(project)
        await emit(session, ProjectUpdated(project_id=project.id, project_key=project.key, user_id=actor.user_id,
                                           changed=sorted(values)),
                   organization_id=actor.organization_id, aggregate_id=project.id, actor_id=actor.user_id)
    return project


async def list_role_members(session: AsyncSession, *, actor: Actor, project: Project) -> dict[str, list[int]]:
    rows = (await session.execute(select(ProjectRoleMember.role, ProjectRoleMember.user_id).where(
        ProjectRoleMember.organization_id == actor.organization_id,
        ProjectRoleMember.project_id == project.id))).all()
    members: dict[str, list[int]] = {role: [] for role in PROJECT_ROLES}
    for role, user_id in rows:
        members.setdefault(role, []).append(user_id)
    return members


async def check_set_role_members(session: AsyncSession, *, actor: Actor, project: Project, role: str,
                                 user_ids: list[object]) -> list[int]:
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    if role not in PROJECT_ROLES:
        raise InvalidInput(f"Project roles are {', '.join(PROJECT_ROLES)}.", field="role")
    wanted: list[int] = []
    for ref in user_ids:
        user_id = await _check_lead(session, actor, ref, field="user_ids")
        if user_id is not None and user_id not in wanted:
            wanted.append(user_id)
    await session.execute(delete(ProjectRoleMember).where(
        ProjectRoleMember.organization_id == actor.organization_id,
        ProjectRoleMember.project_id == project.id, ProjectRoleMember.role == role))
    for user_id in wanted:
        session.add(ProjectRoleMember(organization_id=actor.organization_id, project_id=project.id,
                                      user_id=user_id, role=role))
    await session.flush()
    # Live subscriptions re-check access to the project at once on this event; the catalog version
    # tells every process's cached principals and permission answers to read again.
    await emit(session, ProjectRolesChanged(project_id=project.id, role=role, user_ids=wanted),
               organization_id=actor.organization_id, aggregate_id=project.id, actor_id=actor.user_id)
    await do_bump_catalog_version(session, actor.organization_id)
    return wanted
