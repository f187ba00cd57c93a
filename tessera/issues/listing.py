"""One project's issues, filtered the simple way a list page needs (JQL search is the general tool)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.models import Issue
from tessera.issues.security import issue_visibility_filter
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize
from tessera.workflow.models import STATUS_CATEGORIES, Status

UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class IssueFilter:
    """`assignee` is a user id, or UNASSIGNED; `text` matches the summary, case-insensitively."""

    status_category: str | None = None
    assignee: int | str | None = None
    text: str | None = None


async def list_project_issues(session: AsyncSession, *, actor: Actor, project: Project, criteria: IssueFilter,
                              start_at: int = 0, max_results: int = 50) -> tuple[Sequence[Issue], int]:
    """Most recently updated first. Returns the page and the total that match."""
    await authorize(session, actor, Permission.BROWSE_PROJECTS, project)
    conditions = [Issue.organization_id == actor.organization_id, Issue.project_id == project.id]
    hidden = await issue_visibility_filter(session, actor)
    if hidden is not None:
        conditions.append(hidden)
    if criteria.status_category in STATUS_CATEGORIES:
        conditions.append(Issue.status_id.in_(select(Status.id).where(
            Status.organization_id == actor.organization_id, Status.category == criteria.status_category)))
    if criteria.assignee == UNASSIGNED:
        conditions.append(Issue.assignee_id.is_(None))
    elif isinstance(criteria.assignee, int):
        conditions.append(Issue.assignee_id == criteria.assignee)
    if criteria.text and criteria.text.strip():
        escaped = criteria.text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(Issue.summary).like(f"%{escaped}%", escape="\\"))
    total = await session.scalar(select(func.count()).select_from(Issue).where(*conditions)) or 0
    issues = (await session.scalars(select(Issue).where(*conditions)
                                    .order_by(Issue.updated_at.desc(), Issue.id.desc())
                                    .offset(start_at).limit(max_results))).all()
    return issues, total
