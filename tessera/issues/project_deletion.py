"""Deleting a project with everything in it (Jira's DELETE /project/{key}): an organization
administrator's act, as in Jira (the Administer Jira permission). The rows go by cascade from
the project; the attachments' quota is released here and their objects are returned, to be
removed after commit (as deleting an issue does)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.events.outbox import emit
from tessera.events.types import ProjectDeleted
from tessera.issues.attachments.models import Attachment
from tessera.issues.attachments.storage_usage import release_storage
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize


async def check_delete_project(session: AsyncSession, *, actor: Actor, project: Project) -> list[str]:
    """The object keys of the project's attachments, to discard once the deletion committed."""
    await authorize(session, actor, Permission.BROWSE_PROJECTS, project)
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    org = actor.organization_id
    in_project = select(Issue.id).where(Issue.organization_id == org, Issue.project_id == project.id)
    keys = list((await session.scalars(select(Attachment.storage_key).where(
        Attachment.organization_id == org, Attachment.issue_id.in_(in_project)))).all())
    size = await session.scalar(select(func.coalesce(func.sum(Attachment.size), 0)).where(
        Attachment.organization_id == org, Attachment.issue_id.in_(in_project)))
    await release_storage(session, organization_id=org, size=int(size or 0))
    issues = await session.scalar(select(func.count()).select_from(Issue).where(
        Issue.organization_id == org, Issue.project_id == project.id))
    await emit(session, ProjectDeleted(project_id=project.id, project_key=project.key, user_id=actor.user_id,
                                       issue_count=int(issues or 0)),
               organization_id=org, aggregate_id=project.id, actor_id=actor.user_id)
    await session.execute(delete(Issue).where(Issue.organization_id == org, Issue.project_id == project.id))
    await session.execute(delete(Project).where(Project.organization_id == org, Project.id == project.id))
    return keys
