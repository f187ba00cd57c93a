"""Permission schemes and global permissions, edited: create, rename, delete when unused, add and
remove grants, assign a scheme to a project, grant and revoke global permissions. The engine that
reads them is tessera.tenancy.permissions.

Every change is an organization administrator's, is audited (`record`, with the before and after
of what changed) and bumps the organization's catalog version in its transaction, which is how
every process's cached schemes and permission checks learn of it (tenancy.permissions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.projects.custom_fields import find_definition
from tessera.projects.models import CustomFieldDefinition, Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import (
    CUSTOMER_ROLE,
    ORG_ROLES,
    PROJECT_ROLES,
    GlobalPermissionGrant,
    Group,
    PermissionGrant,
    PermissionScheme,
    User,
)
from tessera.tenancy.permissions import (
    GLOBAL_HOLDER_TYPES,
    GLOBAL_PERMISSIONS,
    GROUP,
    HOLDER_TYPES,
    ORG_ROLE,
    PROJECT_PERMISSIONS,
    PROJECT_ROLE,
    USER,
    USER_FIELD,
    Permission,
    authorize,
)
from tessera.tenancy.service import do_bump_catalog_version

MAX_GRANTS = 1000
_PROJECT_KEYS = {p.value: p for p in PROJECT_PERMISSIONS}
_GLOBAL_KEYS = {p.value: p for p in GLOBAL_PERMISSIONS}


@dataclass(frozen=True)
class SchemeDetails:
    scheme: PermissionScheme
    grants: list[PermissionGrant]
    project_ids: list[int]


@dataclass(frozen=True)
class HolderNames:
    """Names of the groups and users grants point at, for views."""

    groups: dict[int, str]
    users: dict[int, str]


def _permission(value: object, keys: Mapping[str, Permission], field: str) -> Permission:
    text = str(value or "").strip().upper()
    found = keys.get(text) or keys.get(f"{text}_PERMISSION")
    if found is None:
        raise InvalidInput(f"'{str(value)[:64]}' is not a permission; the permissions are "
                           f"{', '.join(sorted(keys))}.", field=field)
    return found


async def _group_id(session: AsyncSession, actor: Actor, ref: object, field: str) -> int:
    group_id = parse_id(ref)
    condition = Group.id == group_id if group_id is not None else func.lower(Group.name) == str(ref or "").lower()
    found = await session.scalar(select(Group.id).where(Group.organization_id == actor.organization_id, condition))
    if found is None:
        raise InvalidInput(f"The group '{str(ref)[:100]}' does not exist.", field=field)
    return found


async def _holder_columns(session: AsyncSession, actor: Actor, holder: object, field: str,
                          allowed: Sequence[str]) -> dict[str, Any]:
    """{holder_type, parameter, group_id, user_id} of a holder spec {"type", "parameter"}."""
    if not isinstance(holder, Mapping):
        raise InvalidInput("A holder is an object with a type (and a parameter for some types).", field=field)
    kind = str(holder.get("type") or "").strip().lower()
    if kind not in allowed:
        raise InvalidInput(f"holder.type must be one of {', '.join(allowed)}.", field=f"{field}.type")
    parameter = holder.get("parameter")
    where = f"{field}.parameter"
    columns: dict[str, Any] = {"holder_type": kind, "parameter": None, "group_id": None, "user_id": None}
    if kind == ORG_ROLE:
        role = str(parameter or "").strip().lower()
        if role not in ORG_ROLES:
            raise InvalidInput(f"An organization role holder names one of {', '.join(ORG_ROLES)}.", field=where)
        columns["parameter"] = role
    elif kind == PROJECT_ROLE:
        role = str(parameter or "").strip().lower()
        if role not in PROJECT_ROLES:
            raise InvalidInput(f"A project role holder names one of {', '.join(PROJECT_ROLES)}.", field=where)
        columns["parameter"] = role
    elif kind == GROUP:
        columns["group_id"] = await _group_id(session, actor, parameter, where)
    elif kind == USER:
        user_id = parse_id(parameter)
        found = user_id is not None and await session.scalar(select(User.id).where(
            User.organization_id == actor.organization_id, User.id == user_id, User.role != CUSTOMER_ROLE))
        if not found:
            raise InvalidInput(f"The user '{str(parameter)[:100]}' does not exist.", field=where)
        columns["user_id"] = user_id
    elif kind == USER_FIELD:
        text = str(parameter or "").strip()
        definitions = (await session.scalars(select(CustomFieldDefinition).where(
            CustomFieldDefinition.organization_id == actor.organization_id,
            CustomFieldDefinition.field_type == "user"))).all()
        found = find_definition(definitions, text) if text else None
        if found is None:
            raise InvalidInput(f"'{text[:100]}' is not a user custom field.", field=where)
        columns["parameter"] = str(found.id)
    elif parameter not in (None, ""):
        raise InvalidInput(f"A {kind} holder takes no parameter.", field=where)
    return columns


def _grant_summary(grant: PermissionGrant | GlobalPermissionGrant) -> dict[str, Any]:
    return {"permission": grant.permission, "holder_type": grant.holder_type, "parameter": grant.parameter,
            "group_id": grant.group_id, "user_id": getattr(grant, "user_id", None)}


def _changed(session: AsyncSession, actor: Actor, action: str, scheme: PermissionScheme,
             changes: dict[str, Any]) -> None:
    record(session, organization_id=actor.organization_id, action=action, object_type="permission_scheme",
           object_id=scheme.id, object_key=scheme.name, changes=changes)


async def _load(session: AsyncSession, actor: Actor, ref: object) -> PermissionScheme:
    scheme_id = parse_id(ref)
    scheme = None if scheme_id is None else await session.scalar(select(PermissionScheme).where(
        PermissionScheme.organization_id == actor.organization_id, PermissionScheme.id == scheme_id))
    if scheme is None:
        raise NotFound("Permission scheme not found.")
    return scheme


async def _details(session: AsyncSession, actor: Actor, schemes: Sequence[PermissionScheme]) -> list[SchemeDetails]:
    ids = [s.id for s in schemes]
    grants: dict[int, list[PermissionGrant]] = {i: [] for i in ids}
    for grant in await session.scalars(select(PermissionGrant).where(
            PermissionGrant.organization_id == actor.organization_id, PermissionGrant.scheme_id.in_(ids))
            .order_by(PermissionGrant.id)):
        grants[grant.scheme_id].append(grant)
    default_id = next((s.id for s in schemes if s.is_default), None)
    projects: dict[int | None, list[int]] = {}
    for project_id, scheme_id in await session.execute(select(Project.id, Project.permission_scheme_id).where(
            Project.organization_id == actor.organization_id).order_by(Project.id)):
        projects.setdefault(scheme_id if scheme_id is not None else default_id, []).append(project_id)
    return [SchemeDetails(s, grants[s.id], projects.get(s.id, [])) for s in schemes]


async def holder_names(session: AsyncSession, actor: Actor,
                       grants: Sequence[PermissionGrant | GlobalPermissionGrant]) -> HolderNames:
    group_ids = {g.group_id for g in grants if g.group_id is not None}
    user_ids = {uid for g in grants if (uid := getattr(g, "user_id", None)) is not None}
    groups = dict((await session.execute(select(Group.id, Group.name).where(
        Group.organization_id == actor.organization_id, Group.id.in_(group_ids)))).all()) if group_ids else {}
    users = dict((await session.execute(select(User.id, User.display_name).where(
        User.organization_id == actor.organization_id, User.id.in_(user_ids)))).all()) if user_ids else {}
    return HolderNames(groups, users)


async def list_schemes(session: AsyncSession, actor: Actor) -> list[SchemeDetails]:
    """Every member may read the schemes (they say who may do what, no secrets)."""
    schemes = (await session.scalars(select(PermissionScheme).where(
        PermissionScheme.organization_id == actor.organization_id).order_by(PermissionScheme.id))).all()
    return await _details(session, actor, schemes)


async def get_scheme(session: AsyncSession, actor: Actor, ref: object) -> SchemeDetails:
    return (await _details(session, actor, [await _load(session, actor, ref)]))[0]


async def scheme_of_project(session: AsyncSession, actor: Actor, project: Project) -> SchemeDetails:
    if project.permission_scheme_id is not None:
        return await get_scheme(session, actor, project.permission_scheme_id)
    default = await session.scalar(select(PermissionScheme).where(
        PermissionScheme.organization_id == actor.organization_id, PermissionScheme.is_default.is_(True)))
    if default is None:
        raise NotFound("Permission scheme not found.")
    return (await _details(session, actor, [default]))[0]


async def _check_name(session: AsyncSession, actor: Actor, value: object, *, other_than: int | None = None) -> str:
    name = str(value or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("A permission scheme needs a name of at most 255 characters.", field="name")
    clash = await session.scalar(select(PermissionScheme.id).where(
        PermissionScheme.organization_id == actor.organization_id, func.lower(PermissionScheme.name) == name.lower()))
    if clash is not None and clash != other_than:
        raise Conflict(f"A permission scheme named '{name}' already exists.", code="duplicate_name", field="name")
    return name


def _check_description(value: object) -> str:
    text = str(value or "")
    if len(text) > 1000:
        raise InvalidInput("A description is at most 1,000 characters.", field="description")
    return text


async def _grant_rows(session: AsyncSession, actor: Actor, scheme: PermissionScheme, specs: object,
                      field: str) -> list[PermissionGrant]:
    if not isinstance(specs, list) or len(specs) > MAX_GRANTS:
        raise InvalidInput(f"{field} is a list of at most {MAX_GRANTS} grants.", field=field)
    rows, seen = [], set()
    for index, spec in enumerate(specs):
        row = await _grant_row(session, actor, scheme, spec, f"{field}.{index}")
        key = (row.permission, row.holder_type, row.parameter, row.group_id, row.user_id)
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return rows


async def _grant_row(session: AsyncSession, actor: Actor, scheme: PermissionScheme, spec: object,
                     field: str) -> PermissionGrant:
    if not isinstance(spec, Mapping):
        raise InvalidInput("A grant is an object with a permission and a holder.", field=field)
    permission = _permission(spec.get("permission"), _PROJECT_KEYS, f"{field}.permission")
    columns = await _holder_columns(session, actor, spec.get("holder"), f"{field}.holder", HOLDER_TYPES)
    return PermissionGrant(organization_id=actor.organization_id, scheme_id=scheme.id, permission=permission.value,
                           **columns)


async def check_create_scheme(session: AsyncSession, *, actor: Actor, name: object, description: object = "",
                              grants: object = None) -> SchemeDetails:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = PermissionScheme(organization_id=actor.organization_id,
                              name=await _check_name(session, actor, name),
                              description=_check_description(description), is_default=False)
    session.add(scheme)
    await session.flush()
    rows = await _grant_rows(session, actor, scheme, grants if grants is not None else [], "grants")
    session.add_all(rows)
    await session.flush()
    _changed(session, actor, "permission_scheme.created", scheme,
             {"name": scheme.name, "description": scheme.description, "grants": [_grant_summary(r) for r in rows]})
    await do_bump_catalog_version(session, actor.organization_id)
    return await get_scheme(session, actor, scheme.id)


async def check_update_scheme(session: AsyncSession, *, actor: Actor, ref: object,
                              changes: Mapping[str, Any]) -> SchemeDetails:
    """`changes`: name, description, and grants (which then replace all the scheme's grants)."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = await _load(session, actor, ref)
    before = {"name": scheme.name, "description": scheme.description}
    if "name" in changes:
        scheme.name = await _check_name(session, actor, changes["name"], other_than=scheme.id)
    if "description" in changes:
        scheme.description = _check_description(changes["description"])
    audit: dict[str, Any] = {k: {"from": before[k], "to": getattr(scheme, k)} for k in before
                             if before[k] != getattr(scheme, k)}
    if changes.get("grants") is not None:
        rows = await _grant_rows(session, actor, scheme, changes["grants"], "grants")
        old = (await session.scalars(select(PermissionGrant).where(
            PermissionGrant.organization_id == actor.organization_id, PermissionGrant.scheme_id == scheme.id))).all()
        await session.execute(delete(PermissionGrant).where(
            PermissionGrant.organization_id == actor.organization_id, PermissionGrant.scheme_id == scheme.id))
        session.add_all(rows)
        audit["grants"] = {"from": [_grant_summary(g) for g in old], "to": [_grant_summary(r) for r in rows]}
    await session.flush()
    if audit:
        _changed(session, actor, "permission_scheme.updated", scheme, audit)
        await do_bump_catalog_version(session, actor.organization_id)
    return await get_scheme(session, actor, scheme.id)


async def check_delete_scheme(session: AsyncSession, *, actor: Actor, ref: object) -> None:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    details = await get_scheme(session, actor, ref)
    scheme = details.scheme
    if scheme.is_default:
        raise Conflict("The default permission scheme cannot be deleted.", code="default_scheme")
    if details.project_ids:
        raise Conflict(f"The permission scheme is used by {len(details.project_ids)} project(s); assign them "
                       "another scheme first.", code="scheme_in_use")
    _changed(session, actor, "permission_scheme.deleted", scheme,
             {"name": scheme.name, "grants": [_grant_summary(g) for g in details.grants]})
    await session.execute(delete(PermissionGrant).where(
        PermissionGrant.organization_id == actor.organization_id, PermissionGrant.scheme_id == scheme.id))
    await session.execute(delete(PermissionScheme).where(
        PermissionScheme.organization_id == actor.organization_id, PermissionScheme.id == scheme.id))
    await do_bump_catalog_version(session, actor.organization_id)


async def check_add_grant(session: AsyncSession, *, actor: Actor, ref: object, spec: object) -> PermissionGrant:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = await _load(session, actor, ref)
    row = await _grant_row(session, actor, scheme, spec, "grant")
    duplicate = await session.scalar(select(PermissionGrant.id).where(
        PermissionGrant.organization_id == actor.organization_id, PermissionGrant.scheme_id == scheme.id,
        PermissionGrant.permission == row.permission, PermissionGrant.holder_type == row.holder_type,
        _same(PermissionGrant.parameter, row.parameter), _same(PermissionGrant.group_id, row.group_id),
        _same(PermissionGrant.user_id, row.user_id)))
    if duplicate is not None:
        raise Conflict("The scheme already grants that permission to that holder.", code="duplicate_grant",
                       field="grant")
    session.add(row)
    await session.flush()
    _changed(session, actor, "permission_scheme.grant_added", scheme, {"grant": {"id": row.id, **_grant_summary(row)}})
    await do_bump_catalog_version(session, actor.organization_id)
    return row


def _same(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


async def get_grant(session: AsyncSession, actor: Actor, ref: object, grant_ref: object) -> PermissionGrant:
    scheme = await _load(session, actor, ref)
    grant_id = parse_id(grant_ref)
    grant = None if grant_id is None else await session.scalar(select(PermissionGrant).where(
        PermissionGrant.organization_id == actor.organization_id, PermissionGrant.scheme_id == scheme.id,
        PermissionGrant.id == grant_id))
    if grant is None:
        raise NotFound("Permission grant not found.")
    return grant


async def check_remove_grant(session: AsyncSession, *, actor: Actor, ref: object, grant_ref: object) -> None:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    grant = await get_grant(session, actor, ref, grant_ref)
    scheme = await _load(session, actor, ref)
    _changed(session, actor, "permission_scheme.grant_removed", scheme,
             {"grant": {"id": grant.id, **_grant_summary(grant)}})
    await session.execute(delete(PermissionGrant).where(
        PermissionGrant.organization_id == actor.organization_id, PermissionGrant.id == grant.id))
    await do_bump_catalog_version(session, actor.organization_id)


async def check_assign_scheme(session: AsyncSession, *, actor: Actor, project: Project, ref: object) -> SchemeDetails:
    """The project's permissions come from scheme `ref` from now on."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme_id = parse_id(ref)
    scheme = None if scheme_id is None else await session.scalar(select(PermissionScheme).where(
        PermissionScheme.organization_id == actor.organization_id, PermissionScheme.id == scheme_id))
    if scheme is None:
        raise InvalidInput(f"The permission scheme '{str(ref)[:40]}' does not exist.", field="scheme_id")
    before = project.permission_scheme_id
    if before != scheme.id:
        await session.execute(update(Project).where(Project.organization_id == actor.organization_id,
                                                    Project.id == project.id).values(permission_scheme_id=scheme.id))
        project.permission_scheme_id = scheme.id
        record(session, organization_id=actor.organization_id, action="project.permission_scheme_assigned",
               object_type="project", object_id=project.id, object_key=project.key,
               changes={"permission_scheme_id": {"from": before, "to": scheme.id}})
        await do_bump_catalog_version(session, actor.organization_id)
    return await get_scheme(session, actor, scheme.id)



# -- global permissions ---------------------------------------------------------------------------


async def list_global_grants(session: AsyncSession, actor: Actor) -> list[GlobalPermissionGrant]:
    return list((await session.scalars(select(GlobalPermissionGrant).where(
        GlobalPermissionGrant.organization_id == actor.organization_id).order_by(GlobalPermissionGrant.id))).all())


async def check_add_global_grant(session: AsyncSession, *, actor: Actor, spec: object) -> GlobalPermissionGrant:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    if not isinstance(spec, Mapping):
        raise InvalidInput("A grant is an object with a permission and a holder.", field="grant")
    permission = _permission(spec.get("permission"), _GLOBAL_KEYS, "permission")
    columns = await _holder_columns(session, actor, spec.get("holder"), "holder", GLOBAL_HOLDER_TYPES)
    columns.pop("user_id")
    duplicate = await session.scalar(select(GlobalPermissionGrant.id).where(
        GlobalPermissionGrant.organization_id == actor.organization_id,
        GlobalPermissionGrant.permission == permission.value, GlobalPermissionGrant.holder_type == columns["holder_type"],
        _same(GlobalPermissionGrant.parameter, columns["parameter"]),
        _same(GlobalPermissionGrant.group_id, columns["group_id"])))
    if duplicate is not None:
        raise Conflict("That global permission is already granted to that holder.", code="duplicate_grant",
                       field="holder")
    row = GlobalPermissionGrant(organization_id=actor.organization_id, permission=permission.value, **columns)
    session.add(row)
    await session.flush()
    record(session, organization_id=actor.organization_id, action="global_permission.granted",
           object_type="global_permission", object_id=row.id, object_key=row.permission, changes=_grant_summary(row))
    await do_bump_catalog_version(session, actor.organization_id)
    return row


async def check_remove_global_grant(session: AsyncSession, *, actor: Actor, grant_ref: object) -> None:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    grant_id = parse_id(grant_ref)
    grant = None if grant_id is None else await session.scalar(select(GlobalPermissionGrant).where(
        GlobalPermissionGrant.organization_id == actor.organization_id, GlobalPermissionGrant.id == grant_id))
    if grant is None:
        raise NotFound("Global permission grant not found.")
    record(session, organization_id=actor.organization_id, action="global_permission.revoked",
           object_type="global_permission", object_id=grant.id, object_key=grant.permission,
           changes=_grant_summary(grant))
    await session.execute(delete(GlobalPermissionGrant).where(
        GlobalPermissionGrant.organization_id == actor.organization_id, GlobalPermissionGrant.id == grant.id))
    await do_bump_catalog_version(session, actor.organization_id)
