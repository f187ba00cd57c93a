"""Finding a board's issues with the JQL engine, in rank order.

Each JQL involved (the board's filter, a Kanban sub-filter, quick filters, a query lane, an
extra query) goes through the engine's parse and validation (`plan_query`) and its compiler;
the plans are ANDed. As in the engine's SQL backend, only the caller's organization and the
projects the caller may browse (not archived) are searched. What differs is the order: by
rank, the unranked after the ranked oldest first, instead of the queries' ORDER BY."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tessera.agile.fields import AgileFields
from tessera.agile.models import IssueRank, Sprint
from tessera.issues.models import CustomFieldValue, Issue
from tessera.issues.references import OrgCatalog
from tessera.issues.security import issue_visible_condition
from tessera.jql.compile import compile_to_sql
from tessera.jql.compile_text import CommentReader
from tessera.jql.plan import AllOf, Plan
from tessera.jql.search import plan_query
from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor
from tessera.tenancy.limits import SearchQuota


@dataclass(frozen=True)
class RankedPage:
    total: int
    issues: list[Issue]
    ranks: dict[int, str]
    # Issues per status among all that matched (not only this page): WIP limits count these.
    status_counts: dict[int, int]


def is_client_search(jql: str | None) -> bool:
    """A board's or sprint's issue list counts against the organization's searches per hour
    when the client adds JQL of its own (`jql=`): that is a search of the client's choosing. The
    board's saved queries alone do not count (the board page runs them on every refresh)."""
    return bool(jql and jql.strip())


async def charge_client_jql_quota(quota: SearchQuota | None, actor: Actor, jql: str | None) -> None:
    """For callers that open no edge transaction; the edge counts is_client_search itself."""
    if quota is not None and is_client_search(jql):
        await quota.check_search_quota(actor)


async def plan_all(session: AsyncSession, actor: Actor, queries: Sequence[str]) -> list[Plan]:
    return [await plan_query(session, actor=actor, jql=jql) for jql in queries if jql and jql.strip()]


def _conditions(actor: Actor, dialect: str, plans: Sequence[Plan], extra: Sequence[ColumnElement[bool]]
                ) -> list[ColumnElement[bool]]:
    browsable = select(Project.id).where(browsable_projects_condition(actor), Project.archived.is_(False))
    conditions = [Issue.organization_id == actor.organization_id, Issue.project_id.in_(browsable),
                  issue_visible_condition(actor), *extra]
    wheres = [plan.where for plan in plans if plan.where is not None]
    if wheres:
        reader = CommentReader(actor.user_id, sees_all=actor.is_org_admin)
        where, _ = compile_to_sql(Plan(where=AllOf(tuple(wheres))), organization_id=actor.organization_id,
                                  dialect=dialect, reader=reader)
        if where is not None:
            conditions.append(where)
    return conditions


def visible_conditions(actor: Actor, dialect: str, plans: Sequence[Plan] = (),
                       extra: Sequence[ColumnElement[bool]] = ()) -> list[ColumnElement[bool]]:
    """The WHERE of ranked_issues, for queries that aggregate over the same issues."""
    return _conditions(actor, dialect, plans, extra)


async def ranked_issues(session: AsyncSession, *, actor: Actor, plans: Sequence[Plan],
                        extra: Sequence[ColumnElement[bool]] = (), start_at: int = 0, max_results: int = 50,
                        count_by_status: bool = False) -> RankedPage:
    conditions = _conditions(actor, session.get_bind().dialect.name, plans, extra)
    counts: dict[int, int] = {}
    if count_by_status:
        counts = dict((await session.execute(select(Issue.status_id, func.count()).where(*conditions)
                                             .group_by(Issue.status_id))).all())
        total = sum(counts.values())
    else:
        total = await session.scalar(select(func.count()).select_from(Issue).where(*conditions)) or 0
    if max_results <= 0 or start_at >= total:
        return RankedPage(total, [], {}, counts)
    # Ranked issues first, read along the (organization, rank) index and stopping at the page's
    # end: an ORDER BY over the outer join (rank NULLS LAST, then creation) cannot use that
    # index, so it sorted every matching issue (the whole backlog) for each page of 50.
    ranked = (select(Issue, IssueRank.rank)
              .join(IssueRank, and_(IssueRank.organization_id == actor.organization_id,
                                    IssueRank.issue_id == Issue.id))
              .where(*conditions).order_by(IssueRank.rank).offset(start_at).limit(max_results))
    rows = list((await session.execute(ranked)).all())
    issues = [issue for issue, _ in rows]
    ranks = {issue.id: rank for issue, rank in rows}
    if len(rows) < max_results:
        # The ranked ones ran out: the rest of the page is issues without a rank (rare: every
        # issue gets one when created), oldest first, after however many ranked ones matched.
        ranked_total = start_at + len(rows) if rows else await session.scalar(
            select(func.count()).select_from(Issue)
            .join(IssueRank, and_(IssueRank.organization_id == actor.organization_id,
                                  IssueRank.issue_id == Issue.id)).where(*conditions)) or 0
        if ranked_total < total:
            has_rank = exists().where(IssueRank.organization_id == actor.organization_id,
                                      IssueRank.issue_id == Issue.id)
            unranked = (select(Issue).where(*conditions, ~has_rank).order_by(Issue.created_at, Issue.id)
                        .offset(max(0, start_at - ranked_total)).limit(max_results - len(rows)))
            issues += list((await session.scalars(unranked)).all())
    return RankedPage(total, issues, ranks, counts)

def in_sprints(actor: Actor, fields: AgileFields, sprint_ids: Sequence[int]) -> ColumnElement[bool]:
    """An IN subquery rather than EXISTS: it lets SQLite start from the sprint's few values (the
    (organization, field, value) index) instead of probing every issue of the filter."""
    if not sprint_ids:
        return false()
    return Issue.id.in_(select(CustomFieldValue.issue_id).where(
        CustomFieldValue.organization_id == actor.organization_id, CustomFieldValue.field_id == fields.sprint.id,
        CustomFieldValue.value_ref.in_(list(sprint_ids))))


def backlog_conditions(actor: Actor, fields: AgileFields, catalog: OrgCatalog) -> list[ColumnElement[bool]]:
    """Not in an active or future sprint, and not done."""
    planned = select(Sprint.id).where(Sprint.organization_id == actor.organization_id,
                                      Sprint.state.in_(["active", "future"]))
    in_planned = exists().where(CustomFieldValue.organization_id == actor.organization_id,
                                CustomFieldValue.issue_id == Issue.id, CustomFieldValue.field_id == fields.sprint.id,
                                CustomFieldValue.value_ref.in_(planned))
    done = [s.id for s in catalog.statuses if s.category == "done"]
    return [~in_planned, Issue.status_id.not_in(done)] if done else [~in_planned]
