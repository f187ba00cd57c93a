"""Ordering versions (Jira's version move)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.projects.components import list_parts
from tessera.projects.models import Project, Version
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

POSITIONS = ("First", "Last", "Earlier", "Later")


async def check_move_version(session: AsyncSession, *, actor: Actor, version: Version, project: Project,
                             position: str | None = None, after: Version | None = None) -> Version:
    """Put `version` first, last, one earlier or one later, or right after `after` (a version of
    the same project). Every version of the project gets its position, so the order is stored."""
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    versions = list(await list_parts(session, Version, project))
    current = [v.id for v in versions].index(version.id)
    ordered = [v for v in versions if v.id != version.id]
    if after is not None:
        if after.project_id != version.project_id:
            raise InvalidInput("The version to move after is not in the same project.", field="after")
        index = current if after.id == version.id else [v.id for v in ordered].index(after.id) + 1
    elif position in POSITIONS:
        index = {"First": 0, "Last": len(ordered), "Earlier": max(current - 1, 0),
                 "Later": min(current + 1, len(ordered))}[position]
    else:
        raise InvalidInput("Give 'position' (First, Last, Earlier or Later) or 'after' (a version).",
                           field="position")
    ordered.insert(index, version)
    for number, each in enumerate(ordered):
        each.position = number
    await session.flush()
    return version
