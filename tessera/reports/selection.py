"""Which issues a report counts: a project's (or every browsable project's) issues, narrowed
by JQL, as the caller may see them.

JQL goes through the search engine's own parse, validation and compiler, and the same
tenancy and permission filter as a search (organization first, then the projects the caller
may browse, not archived), so a report never counts an issue its reader could not find."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tessera.issues.models import Issue
from tessera.issues.security import issue_visibility_filter
from tessera.jql.compile import compile_to_sql
from tessera.jql.compile_text import CommentReader
from tessera.jql.search import plan_query
from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor

MAX_JQL = 20_000


@dataclass(frozen=True)
class Selection:
    """SQL conditions over `issues` selecting a report's issues."""

    organization_id: int
    conditions: tuple[ColumnElement[bool], ...]

    def ids(self) -> Select:
        return select(Issue.id).where(*self.conditions)


async def select_issues(session: AsyncSession, *, actor: Actor, project: Project | None = None,
                        jql: str | None = None, now: datetime | None = None) -> Selection:
    """Raises the engine's 400s for bad JQL. `project` must already be authorized."""
    browsable = select(Project.id).where(browsable_projects_condition(actor), Project.archived.is_(False))
    conditions: list[ColumnElement[bool]] = [Issue.organization_id == actor.organization_id,
                                             Issue.project_id.in_(browsable)]
    hidden = await issue_visibility_filter(session, actor)
    if hidden is not None:
        conditions.append(hidden)
    if project is not None:
        conditions.append(Issue.project_id == project.id)
    if jql and jql.strip():
        plan = await plan_query(session, actor=actor, jql=jql, now=now)
        if plan.where is not None:
            reader = CommentReader(actor.user_id, sees_all=actor.is_org_admin)
            where, _ = compile_to_sql(plan, organization_id=actor.organization_id,
                                      dialect=session.get_bind().dialect.name, reader=reader)
            if where is not None:
                conditions.append(where)
    return Selection(actor.organization_id, tuple(conditions))
