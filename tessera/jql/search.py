"""Search: JQL text → parse → validate against the caller's catalog → backend → one page.

The pipeline stops at a Plan (tessera.jql.plan): fields and values resolved, permissions not
yet applied. A SearchBackend turns a Plan into issue ids and a total. The default backend is
SQL (compile.py → SQLAlchemy Core over the primary database). An OpenSearch backend for the
seed's 50 TB scale would implement the same protocol: translate the Plan into a bool query
over an index fed from the outbox (issue_created/updated events), filter on organization_id
and the caller's browsable project ids exactly as the SQL backend does, and return ids that
are then loaded and rendered from the database. Parser, catalog and validation stay as they
are; only the backend passed to search_issues changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import false, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.catalog import catalog_for
from tessera.issues.models import Issue
from tessera.jql.compile import compile_to_sql
from tessera.jql.compile_text import CommentReader
from tessera.jql.lookups import Scope
from tessera.jql.parser import parse
from tessera.jql.plan import Plan
from tessera.jql.validate import validate_query
from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor

MAX_RESULTS = 1000


@dataclass(frozen=True)
class SearchPage:
    total: int
    issues: list
    start_at: int
    max_results: int


class SearchBackend(Protocol):
    async def search(self, session: AsyncSession, *, actor: Actor, plan: Plan, start_at: int, max_results: int,
                     count_only: bool) -> tuple[int, list[Issue]]:
        """(exact total, the page of issues in the plan's order) among the issues of the
        actor's organization in projects the actor may browse."""
        ...


# Large exact counts hash id sets and build TID bitmaps: with the default 4 MB those spill or
# go lossy (a recheck of every heap row). Raised for the search transaction only.
_POSTGRES_SEARCH_WORK_MEM = "64MB"
# Up to this many matches, the page is sorted from the full set of matches (see search()).
_FEW_MATCHES = 20_000


async def searchable_projects_condition(session: AsyncSession, actor: Actor):  # type: ignore[no-untyped-def]
    """The browsable-projects filter as the planner likes it best: nothing when the actor may
    search every project of the organization (the organization filter already says it all, and
    a count can stay inside one index), else a literal list of project ids."""
    rows = (await session.execute(select(Project.id, Project.archived, browsable_projects_condition(actor))
                                  .where(Project.organization_id == actor.organization_id))).all()
    searchable = [project_id for project_id, archived, browsable in rows if browsable and not archived]
    if len(searchable) == len(rows):
        return None
    return Issue.project_id.in_(searchable) if searchable else false()


class SqlSearchBackend:
    """Tenancy first (organization_id leads every index), then the browsable-projects filter,
    then the compiled query; archived projects are not searched, as in Jira."""

    async def search(self, session: AsyncSession, *, actor: Actor, plan: Plan, start_at: int, max_results: int,
                     count_only: bool) -> tuple[int, list[Issue]]:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            await session.execute(text(f"SET LOCAL work_mem = '{_POSTGRES_SEARCH_WORK_MEM}'"))
        reader = CommentReader(actor.user_id, sees_all=actor.is_org_admin)
        where, order_by = compile_to_sql(plan, organization_id=actor.organization_id, dialect=dialect, reader=reader)
        conditions = [Issue.organization_id == actor.organization_id]
        projects = await searchable_projects_condition(session, actor)
        if projects is not None:
            conditions.append(projects)
        if where is not None:
            conditions.append(where)
        total = await session.scalar(select(func.count()).select_from(Issue).where(*conditions)) or 0
        if count_only or max_results == 0 or start_at >= total:
            return total, []
        # The page's ids first, then their rows: the id query can often be answered from an index
        # alone (the search indexes end with id), which a query for whole rows never can.
        if total <= _FEW_MATCHES:
            # Few matches: find them all first, then sort. Walking an index in the sort order and
            # testing each issue finds a page quickly only when matches are spread evenly, and
            # recent changes, say, all sit at one end of the issues.
            matched = select(Issue.id).where(*conditions).cte("matched").prefix_with("MATERIALIZED")
            ids = select(Issue.id).join(matched, matched.c.id == Issue.id)
        else:
            ids = select(Issue.id).where(*conditions)
        page_ids = list((await session.scalars(ids.order_by(*order_by).offset(start_at).limit(max_results))).all())
        if not page_ids:
            return total, []
        rows = {issue.id: issue for issue in (await session.scalars(select(Issue).where(
            Issue.organization_id == actor.organization_id, Issue.id.in_(page_ids)))).all()}
        return total, [rows[issue_id] for issue_id in page_ids if issue_id in rows]


SQL_BACKEND = SqlSearchBackend()


async def plan_query(session: AsyncSession, *, actor: Actor, jql: str, now: datetime | None = None) -> Plan:
    """Parse and validate; raises JqlSyntaxError or InvalidInput (both HTTP 400)."""
    query = parse(jql)
    catalog = await catalog_for(session, actor)
    scope = Scope(session=session, actor=actor, catalog=catalog, now=now or datetime.now(UTC))
    return await validate_query(scope, query)


async def search_issues(session: AsyncSession, *, actor: Actor, jql: str, start_at: int = 0, max_results: int = 50,
                        count_only: bool = False, backend: SearchBackend = SQL_BACKEND) -> SearchPage:
    start_at = max(0, int(start_at))
    max_results = max(0, min(int(max_results), MAX_RESULTS))
    plan = await plan_query(session, actor=actor, jql=jql)
    total, issues = await backend.search(session, actor=actor, plan=plan, start_at=start_at,
                                         max_results=max_results, count_only=count_only)
    return SearchPage(total=total, issues=issues, start_at=start_at, max_results=max_results)
