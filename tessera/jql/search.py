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

import operator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce
from itertools import combinations
from typing import Protocol

from sqlalchemy import BigInteger, any_, bindparam, false, func, select, union
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.explain import estimated_rows
from tessera.issues.models import Issue
from tessera.issues.references import catalog_for
from tessera.jql.compile import compile_alternatives, compile_to_sql
from tessera.jql.compile_text import CommentReader, commented_issue_ids
from tessera.jql.id_sets import IdSet, as_id_set
from tessera.jql.lookups import Scope
from tessera.jql.parser import parse
from tessera.jql.plan import AllOf, AnyOf, Negation, Node, Plan, Term
from tessera.jql.validate import validate_query
from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor
from tessera.tenancy.limits import SearchQuota

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


# For the search transaction only. Large exact counts hash id sets and build TID bitmaps: with
# the default 4 MB of work_mem those spill or go lossy (a recheck of every heap row). And a
# tracker's working set lives in memory (or on SSD): at the default random_page_cost of 4 the
# planner scans a million index entries to join a few thousand ids instead of probing for them.
# Searches differ too much in selectivity for one cached generic plan per statement (which
# PostgreSQL adopts after five executions of a prepared statement): each is planned for its values.
_POSTGRES_SEARCH_SETTINGS = (("work_mem", "64MB"), ("random_page_cost", "1.1"),
                             ("plan_cache_mode", "force_custom_plan"))
# Up to this many matches, the page is sorted from the full set of matches (see search());
# below both databases' limit on bound parameters.
_FEW_MATCHES = 20_000
# An estimate this far below it makes the one pass likely to end within it (planners err).
_LIKELY_FEW = 12_000
# Issues with matching comments up to which `text ~` takes them as a list (see _comment_hits).
_KNOWN_HITS = 2_000
# Alternatives of a top-level OR up to which it is counted by inclusion–exclusion (2^n − 1 counts).
_INCLUSION_EXCLUSION_MAX = 3


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


def _one_of(ids: list[int], dialect: str):  # type: ignore[no-untyped-def]
    """issues.id among `ids`: one array parameter on PostgreSQL (thousands of bound parameters
    cost more to render than the query takes to run)."""
    if dialect == "postgresql":
        return Issue.id == any_(bindparam("matched_ids", ids, type_=ARRAY(BigInteger)))
    return Issue.id.in_(ids)


def _text_clauses(node: Node | None) -> set[str]:
    if isinstance(node, (AllOf, AnyOf)):
        return set().union(*(_text_clauses(item) for item in node.items))
    if isinstance(node, Negation):
        return _text_clauses(node.item)
    if isinstance(node, Term) and node.op in ("match", "no_match") and node.field.kind in ("text", "comment"):
        return {str(node.values[0])}
    return set()


async def _comment_hits(session: AsyncSession, actor: Actor, plan: Plan, dialect: str) -> dict[str, tuple[int, ...]]:
    """For each `text ~` / `comment ~` of the query, the issues whose comments match, when there
    are few: the compiled query then ORs a short id list into the issues' own full-text match,
    which both databases answer from indexes, instead of uniting two id sets."""
    reader = CommentReader(actor.user_id, sees_all=actor.is_org_admin)
    hits: dict[str, tuple[int, ...]] = {}
    for text_value in sorted(_text_clauses(plan.where)):
        query = commented_issue_ids(actor.organization_id, text_value, dialect, reader)
        if query is None:
            continue
        ids = tuple((await session.scalars(query.distinct().limit(_KNOWN_HITS + 1))).all())
        if len(ids) <= _KNOWN_HITS:
            hits[text_value] = ids
    return hits


class SqlSearchBackend:
    """Tenancy first (organization_id leads every index), then the browsable-projects filter,
    then the compiled query; archived projects are not searched, as in Jira."""

    async def search(self, session: AsyncSession, *, actor: Actor, plan: Plan, start_at: int, max_results: int,
                     count_only: bool) -> tuple[int, list[Issue]]:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":  # set_config(…, true) is SET LOCAL, all in one statement
            await session.execute(select(*[func.set_config(name, value, True)
                                           for name, value in _POSTGRES_SEARCH_SETTINGS]))
        reader = CommentReader(actor.user_id, sees_all=actor.is_org_admin,
                               known_hits=await _comment_hits(session, actor, plan, dialect))
        where, order_by = compile_to_sql(plan, organization_id=actor.organization_id, dialect=dialect, reader=reader)
        conditions = [Issue.organization_id == actor.organization_id]
        projects = await searchable_projects_condition(session, actor)
        if projects is not None:
            conditions.append(projects)
        if where is not None:
            conditions.append(where)
        # A query that is one id set over every project (see _count).
        id_set = as_id_set(where) if projects is None else None
        if count_only or max_results == 0:
            return await self._count(session, actor, plan, conditions, dialect, reader, id_set), []
        # Up to _FEW_MATCHES, every match's id in one pass gives the exact total, and the page is
        # sorted from those ids alone: walking an index in the sort order and testing each issue
        # finds a page quickly only when matches are spread evenly (recent changes, say, all sit
        # at one end of the issues). Past it, the total is counted and the page walks the order.
        # The ids are collected always on SQLite (which cannot estimate), and on PostgreSQL when
        # its planner expects few or when they stream from an index in one pass (a lone id set
        # without repeats). A lone id set (see _count) gives them without reading the issues, its
        # repeats dropped here (a DISTINCT would make SQLite read the set in id order, i.e. all
        # of a field's history for `CHANGED AFTER`). Either way the page's ids are found first
        # and only then joined to their rows: an id query can often be answered from an index
        # alone (the search indexes end with id).
        matched: list[int] | None = None
        if dialect != "postgresql" or (id_set is not None and id_set.distinct) or await estimated_rows(
                session, select(Issue.id).where(*conditions)) <= _LIKELY_FEW:
            collect = id_set.ids if id_set is not None else select(Issue.id).where(*conditions)
            rows = (await session.scalars(collect.limit(_FEW_MATCHES + 1))).all()
            matched = list(dict.fromkeys(rows)) if len(rows) <= _FEW_MATCHES else None
        if matched is not None:
            total = len(matched)
            ids = select(Issue.id).where(Issue.organization_id == actor.organization_id, _one_of(matched, dialect))
        else:
            total = await self._count(session, actor, plan, conditions, dialect, reader, id_set)
            ids = select(Issue.id).where(*conditions)
        if start_at >= total:
            return total, []
        page = ids.order_by(*order_by).offset(start_at).limit(max_results).subquery("page")
        rows = select(Issue).join(page, page.c.id == Issue.id).order_by(*order_by)
        return total, list((await session.scalars(rows)).all())

    @staticmethod
    async def _count(session: AsyncSession, actor: Actor, plan: Plan, conditions: list, dialect: str,
                     reader: CommentReader, id_set: IdSet | None) -> int:
        """Exact, in the cheapest of three shapes the planner cannot find by itself:
        - a query that is one id set (WAS, CHANGED, a label…) over every project counts the set
          alone: its rows belong to the organization's issues, so the issues need not be read;
        - a top-level OR of two or three alternatives counts by inclusion–exclusion on
          PostgreSQL (|A ∪ B| = |A| + |B| − |A ∩ B|): each count is an index range or an index
          intersection, where one bitmap over several indexes would visit every matching heap
          page and a union would hash every matching id; more alternatives count as a union;
        - anything else is counted as it stands."""
        if id_set is not None:
            return await session.scalar(id_set.count_query()) or 0
        alternatives = None
        if dialect == "postgresql":
            alternatives = compile_alternatives(plan, organization_id=actor.organization_id, dialect=dialect,
                                                reader=reader)
        if not alternatives:
            return await session.scalar(select(func.count()).select_from(Issue).where(*conditions)) or 0
        base = conditions[:-1]  # the organization and project filters, without the whole OR
        if len(alternatives) <= _INCLUSION_EXCLUSION_MAX:
            signed = []
            for size in range(1, len(alternatives) + 1):
                for chosen in combinations(alternatives, size):
                    count = select(func.count()).select_from(Issue).where(*base, *chosen).scalar_subquery()
                    signed.append(count if size % 2 else -count)
            return await session.scalar(select(reduce(operator.add, signed))) or 0
        ids = union(*[select(Issue.id).where(*base, alternative) for alternative in alternatives]).subquery()
        return await session.scalar(select(func.count()).select_from(ids)) or 0


SQL_BACKEND = SqlSearchBackend()


async def plan_query(session: AsyncSession, *, actor: Actor, jql: str, now: datetime | None = None) -> Plan:
    """Parse and validate; raises JqlSyntaxError or InvalidInput (both HTTP 400)."""
    query = parse(jql)
    catalog = await catalog_for(session, actor)
    scope = Scope(session=session, actor=actor, catalog=catalog, now=now or datetime.now(UTC))
    return await validate_query(scope, query)


async def search_issues(session: AsyncSession, *, actor: Actor, jql: str, start_at: int = 0, max_results: int = 50,
                        count_only: bool = False, backend: SearchBackend = SQL_BACKEND,
                        quota: SearchQuota | None = None) -> SearchPage:
    """`quota`: given for every search a client asks for (the search APIs, GraphQL, the search
    page), which then counts against the organization's searches per hour, before the query is
    even parsed (a refused query costs the database nothing). Searches the product runs on its
    own behalf (gadgets, the CLI) pass none."""
    if quota is not None:
        await quota.check_search_quota(actor)
    start_at = max(0, int(start_at))
    max_results = max(0, min(int(max_results), MAX_RESULTS))
    plan = await plan_query(session, actor=actor, jql=jql)
    total, issues = await backend.search(session, actor=actor, plan=plan, start_at=start_at,
                                         max_results=max_results, count_only=count_only)
    return SearchPage(total=total, issues=issues, start_at=start_at, max_results=max_results)
