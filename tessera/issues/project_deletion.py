"""Deleting a project: an organization administrator's act, as in Jira (the Administer Jira
permission). Jira's DELETE /project/{key} deletes it with everything in it; the administration
page deletes only a project without issues (issues carry history, attachments and links from
other projects, which a stray form must not drop; a project in use is archived there instead)
and asks for the key typed again. The rows go by cascade from the project; the attachments'
quota is released here and their objects are returned, to be removed after commit (as deleting
an issue does)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import Conflict, InvalidInput
from tessera.events.outbox import emit
from tessera.events.types import ProjectDeleted
from tessera.issues.attachments.models import Attachment
from tessera.issues.attachments.storage_usage import release_storage
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize


async def check_delete_project(session: AsyncSession, *, actor: Actor, project: Project,
                               confirmation: str | None = None, with_issues: bool = True) -> list[str]:
    """The object keys of the project's attachments, to discard once the deletion committed.
    `confirmation`, when asked for: the project's key typed again. Without `with_issues`, a
    project that has issues is refused."""
    await authorize(session, actor, Permission.BROWSE_PROJECTS, project)
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    if confirmation is not None and confirmation.strip().upper() != project.key:
        raise InvalidInput(f"Type the project's key, {project.key}, to delete it.", field="confirm")
    org = actor.organization_id
    in_project = select(Issue.id).where(Issue.organization_id == org, Issue.project_id == project.id)
    if not with_issues and await session.scalar(in_project.limit(1)) is not None:
        raise Conflict(f"{project.key} has issues, so it cannot be deleted here: archive it instead.",
                       field="confirm", code="project_in_use")
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
