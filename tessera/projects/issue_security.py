"""Issue security schemes, edited: create, rename, delete when unused; add, rename and remove
levels; add and remove a level's members; choose the default level; assign a scheme to a
project. What a level hides, and from whom, is tessera.tenancy.issue_security's.

As permission schemes (tessera.projects.permission_schemes, whose holder validation this
reuses): every change is an organization administrator's, is audited with the before and
after of what changed, and bumps the organization's catalog version in its transaction, which
is how every process's cached levels learn of it. Every member may read the schemes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import column, delete, func, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.projects.models import Project
from tessera.projects.permission_schemes import _holder_columns
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import IssueSecurityLevel, IssueSecurityLevelMember, IssueSecurityScheme
from tessera.tenancy.permissions import HOLDER_TYPES, Permission, authorize
from tessera.tenancy.service import do_bump_catalog_version

MAX_LEVELS = 100
MAX_MEMBERS = 1000
# The issues table belongs to tessera.issues, above this layer: named, not imported.
_ISSUES = table("issues", column("organization_id"), column("project_id"), column("security_level_id"))


@dataclass(frozen=True)
class LevelDetails:
    level: IssueSecurityLevel
    members: list[IssueSecurityLevelMember]


@dataclass(frozen=True)
class SecuritySchemeDetails:
    scheme: IssueSecurityScheme
    levels: list[LevelDetails]
    project_ids: list[int]


def member_summary(member: IssueSecurityLevelMember) -> dict[str, Any]:
    return {"holder_type": member.holder_type, "parameter": member.parameter, "group_id": member.group_id,
            "user_id": member.user_id}


def _audit(session: AsyncSession, actor: Actor, action: str, scheme: IssueSecurityScheme,
           changes: dict[str, Any]) -> None:
    record(session, organization_id=actor.organization_id, action=action, object_type="issue_security_scheme",
           object_id=scheme.id, object_key=scheme.name, changes=changes)


async def _changed(session: AsyncSession, actor: Actor, action: str, scheme: IssueSecurityScheme,
                   changes: dict[str, Any]) -> None:
    _audit(session, actor, action, scheme, changes)
    await do_bump_catalog_version(session, actor.organization_id)


async def _load(session: AsyncSession, actor: Actor, ref: object) -> IssueSecurityScheme:
    scheme_id = parse_id(ref)
    scheme = None if scheme_id is None else await session.scalar(select(IssueSecurityScheme).where(
        IssueSecurityScheme.organization_id == actor.organization_id, IssueSecurityScheme.id == scheme_id))
    if scheme is None:
        raise NotFound("Issue security scheme not found.")
    return scheme


async def _details(session: AsyncSession, actor: Actor,
                   schemes: Sequence[IssueSecurityScheme]) -> list[SecuritySchemeDetails]:
    org = actor.organization_id
    ids = [s.id for s in schemes]
    levels: dict[int, list[IssueSecurityLevel]] = {i: [] for i in ids}
    for level in await session.scalars(select(IssueSecurityLevel).where(
            IssueSecurityLevel.organization_id == org, IssueSecurityLevel.scheme_id.in_(ids))
            .order_by(IssueSecurityLevel.name, IssueSecurityLevel.id)):
        levels[level.scheme_id].append(level)
    level_ids = [level.id for found in levels.values() for level in found]
    members: dict[int, list[IssueSecurityLevelMember]] = {i: [] for i in level_ids}
    if level_ids:
        for member in await session.scalars(select(IssueSecurityLevelMember).where(
                IssueSecurityLevelMember.organization_id == org, IssueSecurityLevelMember.level_id.in_(level_ids))
                .order_by(IssueSecurityLevelMember.id)):
            members[member.level_id].append(member)
    projects: dict[int, list[int]] = {}
    for project_id, scheme_id in await session.execute(select(Project.id, Project.issue_security_scheme_id).where(
            Project.organization_id == org, Project.issue_security_scheme_id.in_(ids)).order_by(Project.id)):
        projects.setdefault(scheme_id, []).append(project_id)
    return [SecuritySchemeDetails(s, [LevelDetails(level, members[level.id]) for level in levels[s.id]],
                                  projects.get(s.id, [])) for s in schemes]


async def list_schemes(session: AsyncSession, actor: Actor) -> list[SecuritySchemeDetails]:
    schemes = (await session.scalars(select(IssueSecurityScheme).where(
        IssueSecurityScheme.organization_id == actor.organization_id).order_by(IssueSecurityScheme.id))).all()
    return await _details(session, actor, schemes)


async def get_scheme(session: AsyncSession, actor: Actor, ref: object) -> SecuritySchemeDetails:
    return (await _details(session, actor, [await _load(session, actor, ref)]))[0]


async def get_level(session: AsyncSession, actor: Actor, level_ref: object,
                    scheme: IssueSecurityScheme | None = None) -> IssueSecurityLevel:
    level_id = parse_id(level_ref)
    query = select(IssueSecurityLevel).where(IssueSecurityLevel.organization_id == actor.organization_id,
                                             IssueSecurityLevel.id == level_id)
    if scheme is not None:
        query = query.where(IssueSecurityLevel.scheme_id == scheme.id)
    level = None if level_id is None else await session.scalar(query)
    if level is None:
        raise NotFound("Issue security level not found.")
    return level


async def _check_name(session: AsyncSession, actor: Actor, value: object, *, other_than: int | None = None) -> str:
    name = str(value or "").strip() if isinstance(value, str | None) else ""
    if not name or len(name) > 255:
        raise InvalidInput("An issue security scheme needs a name of at most 255 characters.", field="name")
    clash = await session.scalar(select(IssueSecurityScheme.id).where(
        IssueSecurityScheme.organization_id == actor.organization_id,
        func.lower(IssueSecurityScheme.name) == name.lower()))
    if clash is not None and clash != other_than:
        raise Conflict(f"An issue security scheme named '{name}' already exists.", code="duplicate_name",
                       field="name")
    return name


def _check_description(value: object, field: str = "description") -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput("A description is text.", field=field)
    text = value or ""
    if len(text) > 1000:
        raise InvalidInput("A description is at most 1,000 characters.", field=field)
    return text


def _level_name(value: object, field: str) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > 255:
        raise InvalidInput("A security level needs a name of at most 255 characters.", field=field)
    return name


async def _member_rows(session: AsyncSession, actor: Actor, level: IssueSecurityLevel, specs: object,
                       field: str) -> list[IssueSecurityLevelMember]:
    if specs is None:
        return []
    if not isinstance(specs, list) or len(specs) > MAX_MEMBERS:
        raise InvalidInput(f"{field} is a list of at most {MAX_MEMBERS} holders.", field=field)
    rows, seen = [], set()
    for index, spec in enumerate(specs):
        columns = await _holder_columns(session, actor, spec, f"{field}.{index}", HOLDER_TYPES)
        key = tuple(columns.values())
        if key not in seen:
            seen.add(key)
            rows.append(IssueSecurityLevelMember(organization_id=actor.organization_id, level_id=level.id, **columns))
    return rows


async def _add_level(session: AsyncSession, actor: Actor, scheme: IssueSecurityScheme, spec: object,
                     field: str) -> LevelDetails:
    if not isinstance(spec, Mapping):
        raise InvalidInput("A level is an object with a name (and a description and members).", field=field)
    name = _level_name(spec.get("name"), f"{field}.name")
    clash = await session.scalar(select(IssueSecurityLevel.id).where(
        IssueSecurityLevel.organization_id == actor.organization_id, IssueSecurityLevel.scheme_id == scheme.id,
        func.lower(IssueSecurityLevel.name) == name.lower()))
    if clash is not None:
        raise Conflict(f"The scheme already has a level named '{name}'.", code="duplicate_name", field=f"{field}.name")
    level = IssueSecurityLevel(organization_id=actor.organization_id, scheme_id=scheme.id, name=name,
                               description=_check_description(spec.get("description"), f"{field}.description"))
    session.add(level)
    await session.flush()
    members = await _member_rows(session, actor, level, spec.get("members"), f"{field}.members")
    session.add_all(members)
    await session.flush()
    return LevelDetails(level, members)


def _level_summary(found: LevelDetails) -> dict[str, Any]:
    return {"id": found.level.id, "name": found.level.name, "description": found.level.description,
            "members": [member_summary(m) for m in found.members]}


async def _default_level(session: AsyncSession, actor: Actor, scheme: IssueSecurityScheme, ref: object) -> int | None:
    if ref is None or ref == "":
        return None
    levels = (await session.scalars(select(IssueSecurityLevel).where(
        IssueSecurityLevel.organization_id == actor.organization_id,
        IssueSecurityLevel.scheme_id == scheme.id))).all()
    ref_id = parse_id(ref)
    found = next((level for level in levels if level.id == ref_id or (
        isinstance(ref, str) and level.name.lower() == ref.strip().lower())), None)
    if found is None:
        raise InvalidInput(f"'{str(ref)[:100]}' is not a level of this scheme.", field="default_level")
    return found.id


async def check_create_scheme(session: AsyncSession, *, actor: Actor, name: object, description: object = "",
                              levels: object = None, default_level: object = None) -> SecuritySchemeDetails:
    """`levels`: [{name, description, members: [holder]}]; `default_level`: a level's name."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = IssueSecurityScheme(organization_id=actor.organization_id, name=await _check_name(session, actor, name),
                                 description=_check_description(description))
    session.add(scheme)
    await session.flush()
    if levels is not None and (not isinstance(levels, list) or len(levels) > MAX_LEVELS):
        raise InvalidInput(f"levels is a list of at most {MAX_LEVELS} levels.", field="levels")
    made = [await _add_level(session, actor, scheme, spec, f"levels.{index}")
            for index, spec in enumerate(levels or [])]
    scheme.default_level_id = await _default_level(session, actor, scheme, default_level)
    await session.flush()
    await _changed(session, actor, "issue_security_scheme.created", scheme, {
        "name": scheme.name, "description": scheme.description, "default_level_id": scheme.default_level_id,
        "levels": [_level_summary(found) for found in made]})
    return await get_scheme(session, actor, scheme.id)


async def check_update_scheme(session: AsyncSession, *, actor: Actor, ref: object,
                              changes: Mapping[str, Any]) -> SecuritySchemeDetails:
    """`changes`: name, description, default_level (a level id or name; null for none)."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = await _load(session, actor, ref)
    before = {"name": scheme.name, "description": scheme.description, "default_level_id": scheme.default_level_id}
    if "name" in changes:
        scheme.name = await _check_name(session, actor, changes["name"], other_than=scheme.id)
    if "description" in changes:
        scheme.description = _check_description(changes["description"])
    if "default_level" in changes:
        scheme.default_level_id = await _default_level(session, actor, scheme, changes["default_level"])
    audit = {key: {"from": value, "to": getattr(scheme, key)} for key, value in before.items()
             if value != getattr(scheme, key)}
    await session.flush()
    if audit:
        await _changed(session, actor, "issue_security_scheme.updated", scheme, audit)
    return await get_scheme(session, actor, scheme.id)


async def check_delete_scheme(session: AsyncSession, *, actor: Actor, ref: object) -> None:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    details = await get_scheme(session, actor, ref)
    if details.project_ids:
        raise Conflict(f"The issue security scheme is used by {len(details.project_ids)} project(s); assign them "
                       "another scheme (or none) first.", code="scheme_in_use")
    scheme = details.scheme
    await _changed(session, actor, "issue_security_scheme.deleted", scheme,
                   {"name": scheme.name, "levels": [_level_summary(found) for found in details.levels]})
    # Explicitly, not by ON DELETE CASCADE alone: SQLite enforces foreign keys only when told to.
    level_ids = [found.level.id for found in details.levels]
    if level_ids:
        await session.execute(delete(IssueSecurityLevelMember).where(
            IssueSecurityLevelMember.organization_id == actor.organization_id,
            IssueSecurityLevelMember.level_id.in_(level_ids)))
        await session.execute(delete(IssueSecurityLevel).where(
            IssueSecurityLevel.organization_id == actor.organization_id, IssueSecurityLevel.id.in_(level_ids)))
    await session.execute(delete(IssueSecurityScheme).where(
        IssueSecurityScheme.organization_id == actor.organization_id, IssueSecurityScheme.id == scheme.id))


async def check_add_level(session: AsyncSession, *, actor: Actor, ref: object, spec: object) -> LevelDetails:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = await _load(session, actor, ref)
    count = await session.scalar(select(func.count()).select_from(IssueSecurityLevel).where(
        IssueSecurityLevel.organization_id == actor.organization_id, IssueSecurityLevel.scheme_id == scheme.id)) or 0
    if count >= MAX_LEVELS:
        raise InvalidInput(f"A scheme has at most {MAX_LEVELS} levels.", field="level")
    found = await _add_level(session, actor, scheme, spec, "level")
    await _changed(session, actor, "issue_security_scheme.level_added", scheme, {"level": _level_summary(found)})
    return found


async def check_update_level(session: AsyncSession, *, actor: Actor, ref: object, level_ref: object,
                             changes: Mapping[str, Any]) -> IssueSecurityLevel:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = await _load(session, actor, ref)
    level = await get_level(session, actor, level_ref, scheme)
    before = {"name": level.name, "description": level.description}
    if "name" in changes:
        name = _level_name(changes["name"], "name")
        clash = await session.scalar(select(IssueSecurityLevel.id).where(
            IssueSecurityLevel.organization_id == actor.organization_id, IssueSecurityLevel.scheme_id == scheme.id,
            func.lower(IssueSecurityLevel.name) == name.lower()))
        if clash is not None and clash != level.id:
            raise Conflict(f"The scheme already has a level named '{name}'.", code="duplicate_name", field="name")
        level.name = name
    if "description" in changes:
        level.description = _check_description(changes["description"])
    audit = {key: {"from": value, "to": getattr(level, key)} for key, value in before.items()
             if value != getattr(level, key)}
    await session.flush()
    if audit:
        await _changed(session, actor, "issue_security_scheme.level_updated", scheme, {"level_id": level.id, **audit})
    return level


async def check_delete_level(session: AsyncSession, *, actor: Actor, ref: object, level_ref: object) -> None:
    """Refused while issues are at the level: clearing it would show them to everyone."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = await _load(session, actor, ref)
    level = await get_level(session, actor, level_ref, scheme)
    used = await session.scalar(select(func.count()).select_from(_ISSUES).where(
        _ISSUES.c.organization_id == actor.organization_id, _ISSUES.c.security_level_id == level.id)) or 0
    if used:
        raise Conflict(f"{used} issue(s) are at the level '{level.name}'; set them to another level first.",
                       code="level_in_use")
    members = (await session.scalars(select(IssueSecurityLevelMember).where(
        IssueSecurityLevelMember.organization_id == actor.organization_id,
        IssueSecurityLevelMember.level_id == level.id))).all()
    if scheme.default_level_id == level.id:
        scheme.default_level_id = None
    await _changed(session, actor, "issue_security_scheme.level_removed", scheme,
                   {"level": _level_summary(LevelDetails(level, list(members)))})
    await session.execute(delete(IssueSecurityLevelMember).where(
        IssueSecurityLevelMember.organization_id == actor.organization_id,
        IssueSecurityLevelMember.level_id == level.id))
    await session.execute(delete(IssueSecurityLevel).where(
        IssueSecurityLevel.organization_id == actor.organization_id, IssueSecurityLevel.id == level.id))
    await session.flush()


async def check_add_member(session: AsyncSession, *, actor: Actor, ref: object, level_ref: object,
                           holder: object) -> IssueSecurityLevelMember:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = await _load(session, actor, ref)
    level = await get_level(session, actor, level_ref, scheme)
    columns = await _holder_columns(session, actor, holder, "holder", HOLDER_TYPES)
    existing = (await session.scalars(select(IssueSecurityLevelMember).where(
        IssueSecurityLevelMember.organization_id == actor.organization_id,
        IssueSecurityLevelMember.level_id == level.id))).all()
    if any(member_summary(m) == columns for m in existing):
        raise Conflict("That holder is already a member of the level.", code="duplicate_member", field="holder")
    if len(existing) >= MAX_MEMBERS:
        raise InvalidInput(f"A level has at most {MAX_MEMBERS} members.", field="holder")
    member = IssueSecurityLevelMember(organization_id=actor.organization_id, level_id=level.id, **columns)
    session.add(member)
    await session.flush()
    await _changed(session, actor, "issue_security_scheme.member_added", scheme,
                   {"level_id": level.id, "member": {"id": member.id, **member_summary(member)}})
    return member


async def check_remove_member(session: AsyncSession, *, actor: Actor, ref: object, level_ref: object,
                              member_ref: object) -> None:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = await _load(session, actor, ref)
    level = await get_level(session, actor, level_ref, scheme)
    member_id = parse_id(member_ref)
    member = None if member_id is None else await session.scalar(select(IssueSecurityLevelMember).where(
        IssueSecurityLevelMember.organization_id == actor.organization_id,
        IssueSecurityLevelMember.level_id == level.id, IssueSecurityLevelMember.id == member_id))
    if member is None:
        raise NotFound("Issue security level member not found.")
    await _changed(session, actor, "issue_security_scheme.member_removed", scheme,
                   {"level_id": level.id, "member": {"id": member.id, **member_summary(member)}})
    await session.execute(delete(IssueSecurityLevelMember).where(
        IssueSecurityLevelMember.organization_id == actor.organization_id, IssueSecurityLevelMember.id == member.id))


async def check_assign_scheme(session: AsyncSession, *, actor: Actor, project: Project,
                              ref: object) -> SecuritySchemeDetails | None:
    """The project's issues may be set to scheme `ref`'s levels from now on (None: no scheme).
    Refused while issues of the project are at levels of another scheme: dropping their levels
    would show them to everyone."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    scheme = None
    if ref is not None and ref != "":
        scheme_id = parse_id(ref)
        scheme = None if scheme_id is None else await session.scalar(select(IssueSecurityScheme).where(
            IssueSecurityScheme.organization_id == actor.organization_id, IssueSecurityScheme.id == scheme_id))
        if scheme is None:
            raise InvalidInput(f"The issue security scheme '{str(ref)[:40]}' does not exist.", field="scheme_id")
    new_id = scheme.id if scheme is not None else None
    before = project.issue_security_scheme_id
    if before != new_id:
        kept = select(IssueSecurityLevel.id).where(IssueSecurityLevel.organization_id == actor.organization_id,
                                                   IssueSecurityLevel.scheme_id == new_id)
        stranded = await session.scalar(select(func.count()).select_from(_ISSUES).where(
            _ISSUES.c.organization_id == actor.organization_id, _ISSUES.c.project_id == project.id,
            _ISSUES.c.security_level_id.is_not(None), _ISSUES.c.security_level_id.not_in(kept))) or 0
        if stranded:
            raise Conflict(f"{stranded} issue(s) of {project.key} are at levels of the current scheme; set them to "
                           "no level (or move them) first.", code="levels_in_use", field="scheme_id")
        await session.execute(update(Project).where(Project.organization_id == actor.organization_id,
                                                    Project.id == project.id).values(issue_security_scheme_id=new_id))
        project.issue_security_scheme_id = new_id
        record(session, organization_id=actor.organization_id, action="project.issue_security_scheme_assigned",
               object_type="project", object_id=project.id, object_key=project.key,
               changes={"issue_security_scheme_id": {"from": before, "to": new_id}})
        await do_bump_catalog_version(session, actor.organization_id)
    return None if scheme is None else await get_scheme(session, actor, scheme.id)
