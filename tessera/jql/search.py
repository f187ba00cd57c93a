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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce
from itertools import combinations
from typing import Protocol

from sqlalchemy import Column, false, func, select, true, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.visitors import replacement_traverse

from tessera.db.engine import transaction_settings
from tessera.issues.models import Issue
from tessera.issues.references import catalog_for
from tessera.issues.security import issue_visibility_filter
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
                     count_only: bool, as_rows: bool = False, columns: Sequence[Column] | None = None
                     ) -> tuple[int, list[Issue]]:
        """(exact total, the page of issues in the plan's order) among the issues of the
        actor's organization in projects the actor may browse. `as_rows`: the issues as rows
        (attributes as Issue's) rather than ORM entities, for a caller that only reads them;
        `columns`: then only these of the issue's columns (the id always)."""
        ...


# For the search transaction only. Large exact counts hash id sets and build TID bitmaps: with
# the default 4 MB of work_mem those spill or go lossy (a recheck of every heap row). And a
# tracker's working set lives in memory (or on SSD): at the default random_page_cost of 4 the
# planner scans a million index entries to join a few thousand ids instead of probing for them.
# Searches differ too much in selectivity for one cached generic plan per statement (which
# PostgreSQL adopts after five executions of a prepared statement): each is planned for its values.
# A request that searches gets them with its organization's, in one statement
# (tessera.edge.context.open_unit_of_work).
SEARCH_SETTINGS = (("work_mem", "64MB"), ("random_page_cost", "1.1"), ("plan_cache_mode", "force_custom_plan"))
# Matches up to which a page is sorted from all of them (see search()); an index walk past it.
_FEW_MATCHES = 20_000
# Issues with matching comments up to which `text ~` takes them as a list (see _comment_hits).
_KNOWN_HITS = 2_000
# Alternatives of a top-level OR up to which it is counted by inclusion–exclusion (2^n − 1 counts).
_INCLUSION_EXCLUSION_MAX = 3
_ORDER_MODIFIERS = (operators.asc_op, operators.desc_op, operators.nulls_first_op, operators.nulls_last_op)


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


def _sort_key(clause: ColumnElement) -> ColumnElement:  # type: ignore[type-arg]
    """The expression an ORDER BY clause sorts by, without its direction and NULLS placement."""
    while isinstance(clause, UnaryExpression) and clause.modifier in _ORDER_MODIFIERS:
        clause = clause.element
    return clause


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
                     count_only: bool, as_rows: bool = False, columns: Sequence[Column] | None = None
                     ) -> tuple[int, list[Issue]]:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql" and not dict(SEARCH_SETTINGS).items() <= transaction_settings(session).items():
            # set_config(…, true) is SET LOCAL, all in one statement (a request's unit of work made them)
            await session.execute(select(*[func.set_config(name, value, True) for name, value in SEARCH_SETTINGS]))
        reader = CommentReader(actor.user_id, sees_all=actor.is_org_admin,
                               known_hits=await _comment_hits(session, actor, plan, dialect))
        where, order_by = compile_to_sql(plan, organization_id=actor.organization_id, dialect=dialect, reader=reader)
        conditions = [Issue.organization_id == actor.organization_id]
        projects = await searchable_projects_condition(session, actor)
        if projects is not None:
            conditions.append(projects)
        security = await issue_visibility_filter(session, actor)
        if security is not None:
            conditions.append(security)
        if where is not None:
            conditions.append(where)
        # A query that is one id set over every project (see _count).
        id_set = as_id_set(where) if projects is None and security is None else None
        if count_only or max_results == 0:
            return await self._count(session, actor, plan, conditions, dialect, reader, id_set), []
        # The page is ordered and cut by the database over the query itself, and only the page's
        # rows are read in full. Up to _FEW_MATCHES the matches are sorted whole, their sort keys
        # read where the search indexes hold them next to the id (index-only for a catalog field),
        # and the top kept: fenced off (MATERIALIZED), or a planner may walk an index in the sort
        # order testing each issue, which finds a deep page late when the matches cluster (one
        # label's issues among the recently updated, say). Past it, the walk is the fast way.
        # The fenced matches are counted too, in the same statement: when they are that few their
        # number is the exact total, and the query is evaluated once, in one round trip.
        keys = [_sort_key(clause) for clause in order_by]
        matches = (select(Issue.id, *[key.label(f"k{n}") for n, key in enumerate(keys)]).where(*conditions)
                   .limit(_FEW_MATCHES + 1).cte("matches").prefix_with("MATERIALIZED"))
        on_matches = [replacement_traverse(clause, {}, lambda element, keys=keys, matches=matches: next(
            (matches.c[f"k{n}"] for n, key in enumerate(keys) if element is key), None))
            for clause in order_by]
        counted = select(func.count().label("total")).select_from(matches).subquery("counted")
        few = select(func.count()).select_from(matches).scalar_subquery() <= _FEW_MATCHES
        page = (select(matches.c.id).where(few).order_by(*on_matches).offset(start_at).limit(max_results)
                .subquery("page"))
        found = (await session.execute(
            select(counted.c.total, *self._columns(as_rows, columns))
            .select_from(counted.outerjoin(page.join(Issue, Issue.id == page.c.id), true()))
            .order_by(*order_by))).all()
        total = found[0].total
        if total <= _FEW_MATCHES:
            # A page past the end (or no match) is the one row of the count, without an issue.
            if as_rows:
                return total, [row for row in found if row.id is not None]
            return total, [row[1] for row in found if row[1] is not None]
        total = await self._count(session, actor, plan, conditions, dialect, reader, id_set)
        if start_at >= total:
            return total, []
        page = select(Issue.id).where(*conditions).order_by(*order_by).offset(start_at).limit(max_results) \
            .subquery("page")
        return total, [row if as_rows else row[0] for row in (await session.execute(
            select(*self._columns(as_rows, columns)).join(page, page.c.id == Issue.id).order_by(*order_by))).all()]

    @staticmethod
    def _columns(as_rows: bool, columns: Sequence[Column] | None = None) -> list:
        """The issue as rows (no ORM entity, identity map nor change tracking for each: what a
        caller that only reads them needs) or as an ORM entity."""
        if not as_rows:
            return [Issue]
        if columns is None:
            return list(Issue.__table__.c)
        return [Issue.__table__.c.id, *(column for column in columns if column.name != "id")]

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
                        quota: SearchQuota | None = None, as_rows: bool = False,
                        columns: Sequence[Column] | None = None) -> SearchPage:
    """`quota`: given for every search a client asks for (the search APIs, GraphQL, the search
    page), which then counts against the organization's searches per hour, before the query is
    even parsed (a refused query costs the database nothing). Searches the product runs on its
    own behalf (gadgets, the CLI) pass none. `as_rows`: the page's issues as read-only rows with
    Issue's attributes (what the views render from), not ORM entities; `columns`: then only
    these columns (tessera.issues.views.row_columns says which a view needs)."""
    if quota is not None:
        await quota.check_search_quota(actor)
    start_at = max(0, int(start_at))
    max_results = max(0, min(int(max_results), MAX_RESULTS))
    plan = await plan_query(session, actor=actor, jql=jql)
    total, issues = await backend.search(session, actor=actor, plan=plan, start_at=start_at,
                                         max_results=max_results, count_only=count_only, as_rows=as_rows,
                                         columns=columns)
    return SearchPage(total=total, issues=issues, start_at=start_at, max_results=max_results)
