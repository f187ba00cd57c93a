"""Components and versions of a project."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.projects.models import Component, Project, Version
from tessera.projects.service import access_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import CUSTOMER_ROLE, User
from tessera.tenancy.permissions import Permission, authorize

Part = TypeVar("Part", Component, Version)


async def list_parts(session: AsyncSession, model: type[Part], project: Project) -> Sequence[Part]:
    """Components by name; versions in their order (moved ones first, in position order, then the
    others by name)."""
    order = [model.position.is_(None), model.position, model.name] if model is Version else [model.name]
    return (await session.scalars(select(model).where(
        model.organization_id == project.organization_id, model.project_id == project.id)
        .order_by(*order))).all()


async def access_part(session: AsyncSession, actor: Actor, model: type[Part], part_id: int,
                      permission: Permission = Permission.BROWSE_PROJECTS) -> tuple[Part, Project]:
    part = await session.scalar(select(model).where(model.organization_id == actor.organization_id,
                                                    model.id == part_id))
    if part is None:
        raise NotFound(f"{model.__name__} not found.")
    project = await access_project(session, actor, part.project_id, permission)
    return part, project


def _name(value: object) -> str:
    name = str(value or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("A name of 1 to 255 characters is required.", field="name")
    return name


async def _ensure_unique(session: AsyncSession, model: type[Part], project: Project, name: str,
                         exclude_id: int | None = None) -> None:
    existing = await session.scalar(select(model.id).where(
        model.organization_id == project.organization_id, model.project_id == project.id, model.name == name))
    if existing is not None and existing != exclude_id:
        raise Conflict(f"{model.__name__} '{name}' already exists in {project.key}.", field="name",
                       code="duplicate_name")


async def check_create_part(session: AsyncSession, *, actor: Actor, model: type[Part], project: Project,
                            values: dict[str, object]) -> Part:
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    name = _name(values.get("name"))
    await _ensure_unique(session, model, project, name)
    part = model(organization_id=actor.organization_id, project_id=project.id, name=name,
                 description=str(values.get("description") or ""))
    await _apply_extras(session, part, values, actor)
    session.add(part)
    await session.flush()
    return part


async def check_update_part(session: AsyncSession, *, actor: Actor, part: Part, project: Project,
                            values: dict[str, object]) -> Part:
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    if "name" in values:
        name = _name(values["name"])
        await _ensure_unique(session, type(part), project, name, exclude_id=part.id)
        part.name = name
    if "description" in values:
        part.description = str(values["description"] or "")
    await _apply_extras(session, part, values, actor)
    await session.flush()
    return part


async def check_delete_part(session: AsyncSession, *, actor: Actor, part: Part, project: Project) -> None:
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    kind = "component" if isinstance(part, Component) else "version"
    # No domain event says so: the audit record is the deletion's only trace.
    record(session, organization_id=project.organization_id, action=f"{kind}.deleted", object_type=kind,
           object_id=part.id, object_key=project.key, changes={"name": part.name, "project_id": project.id})
    await session.delete(part)
    await session.flush()


async def _apply_extras(session: AsyncSession, part: Component | Version, values: dict[str, object],
                        actor: Actor) -> None:
    if isinstance(part, Component):
        if "lead_id" in values:
            lead_id = parse_id(values["lead_id"]) if values["lead_id"] is not None else None
            if values["lead_id"] is not None and (lead_id is None or await session.scalar(select(User.id).where(
                    User.organization_id == actor.organization_id, User.id == lead_id,
                    User.role != CUSTOMER_ROLE)) is None):
                raise InvalidInput(f"The user '{str(values['lead_id'])[:100]}' does not exist.", field="lead_id")
            part.lead_id = lead_id
        return
    for field in ("start_date", "release_date"):
        if field in values:
            value = values[field]
            if value is not None and not isinstance(value, date):
                raise InvalidInput(f"{field} must be a date (YYYY-MM-DD).", field=field)
            setattr(part, field, value)
    for field in ("released", "archived"):
        if field in values and values[field] is not None:
            setattr(part, field, bool(values[field]))
