"""Deleting a project. Only a project without issues is deleted (its components, versions,
roles, boards and settings go with it, by the schema's cascades): issues carry history,
attachments on disk and links from other projects that a delete must not silently drop, so a
project in use is archived instead (projects.service.check_update_project)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.errors import Conflict, InvalidInput
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize


async def check_delete_project(session: AsyncSession, *, actor: Actor, project: Project, confirmation: str) -> None:
    """`confirmation`: the project's key typed again, so that no stray click deletes it."""
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    if (confirmation or "").strip().upper() != project.key:
        raise InvalidInput(f"Type the project's key, {project.key}, to delete it.", field="confirm")
    in_use = await session.scalar(select(Issue.id).where(Issue.organization_id == project.organization_id,
                                                          Issue.project_id == project.id).limit(1))
    if in_use is not None:
        raise Conflict(f"{project.key} has issues, so it cannot be deleted: archive it instead.", field="confirm",
                       code="project_in_use")
    await session.delete(project)
    await session.flush()
    record(session, organization_id=project.organization_id, action="project.deleted", object_type="project",
           object_id=project.id, object_key=project.key, changes={"name": project.name})
