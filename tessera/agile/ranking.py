"""Ranking issues in the organization's one global order (Jira's "Rank" field).

Every issue gets a rank when it is created: its tail rank (tessera.issues.ranks), after every
issue placed by hand and every older issue. So a move writes the moved issue's rank only, never
anyone else's, however many issues the organization has (an issue somehow left without a rank
sorts last, oldest first, and gets its tail rank when a move needs it). Every rank write holds
a per-organization lock until commit (PostgreSQL advisory lock; SQLite has one writer anyway):
two moves into the same gap cannot pick the same string, and a rebalance never interleaves
with a move."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile import lexorank
from tessera.agile.models import IssueRank
from tessera.errors import InvalidInput, NotFound
from tessera.events.outbox import emit
from tessera.events.types import IssueRanked
from tessera.issues.models import Issue
from tessera.issues.ranks import tail_rank
from tessera.issues.service import access_issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

_RANKS = IssueRank.__table__
_LOCK_NAMESPACE = 0x5241_4E4B << 31  # "RANK": keeps these keys apart from other advisory locks
_SET_RANK = (update(_RANKS).where(_RANKS.c.organization_id == bindparam("org"),
                                  _RANKS.c.issue_id == bindparam("issue"))
             .values(rank=bindparam("new_rank")))


async def lock_ranks(session: AsyncSession, organization_id: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                              {"key": _LOCK_NAMESPACE + organization_id % (1 << 31)})


async def ranks_of(session: AsyncSession, organization_id: int, issue_ids: Sequence[int]) -> dict[int, str]:
    if not issue_ids:
        return {}
    rows = await session.execute(select(IssueRank.issue_id, IssueRank.rank).where(
        IssueRank.organization_id == organization_id, IssueRank.issue_id.in_(list(issue_ids))))
    return dict(rows.all())


def _spread_rank(prefix: str, position, count: int):  # type: ignore[no-untyped-def]
    """SQL for `prefix` + the suffix lexorank.spread gives the position-th (from 1) of `count`:
    base-36 digits by integer arithmetic, trailing zeros trimmed (the same on both databases)."""
    width, step = lexorank.spread_layout(count)
    number = position * literal(step, BigInteger)
    places = [cast((number // literal(lexorank.BASE ** (width - 1 - place), BigInteger)) % lexorank.BASE + 1,
                   Integer) for place in range(width)]
    digits = [func.substr(literal(lexorank.DIGITS), place, 1, type_=String) for place in places]
    return literal(prefix, String) + func.rtrim(functools.reduce(operator.add, digits), "0", type_=String)


async def do_rebalance(session: AsyncSession, organization_id: int) -> int:
    """Rewrite every rank of the organization, in order, evenly spread in the next bucket (one
    UPDATE). Needed only after hundreds of inserts at one place."""
    first = await session.scalar(select(func.min(IssueRank.rank)).where(IssueRank.organization_id == organization_id))
    if first is None:
        return 0
    count = await session.scalar(select(func.count()).where(IssueRank.organization_id == organization_id)) or 0
    bucket = lexorank.next_bucket(lexorank.parse(first)[0])
    ordered = select(IssueRank.issue_id, func.row_number().over(order_by=IssueRank.rank).label("position")).where(
        IssueRank.organization_id == organization_id).subquery()
    await session.execute(update(_RANKS).where(_RANKS.c.organization_id == organization_id,
                                               _RANKS.c.issue_id == ordered.c.issue_id)
                          .values(rank=_spread_rank(f"{bucket}|", ordered.c.position, count)))
    return count


async def _rank_of(session: AsyncSession, organization_id: int, issue: Issue) -> str | None:
    return (await ranks_of(session, organization_id, [issue.id])).get(issue.id)


async def _ensure_ranked(session: AsyncSession, organization_id: int, anchor: Issue) -> str:
    """The anchor's rank. Every issue gets its tail rank when it is created (and migration 0011
    gave one to every older issue); one that still has none (written around the services) gets
    its tail rank now: one row, whatever the number of issues."""
    found = await _rank_of(session, organization_id, anchor)
    if found is not None:
        return found
    rank = tail_rank(anchor.created_at, anchor.id)
    await (await session.connection()).execute(insert(_RANKS), {
        "organization_id": organization_id, "issue_id": anchor.id, "rank": rank})
    return rank


async def _neighbour(session: AsyncSession, organization_id: int, rank: str, *, below: bool) -> str | None:
    """The rank just before `rank` (below) or just after it."""
    query = (select(func.max(IssueRank.rank)).where(IssueRank.rank < rank) if below
             else select(func.min(IssueRank.rank)).where(IssueRank.rank > rank))
    return await session.scalar(query.where(IssueRank.organization_id == organization_id))


def _after_the_last(anchor_rank: str, issue: Issue, at: datetime) -> str:
    """A rank after the last issue of the organization: the moved issue's tail rank as if it
    were created now (so issues created later still come after it, as in Jira), or, with a
    clock behind the last rank, the next rank after it."""
    as_new = tail_rank(at, issue.id)
    return as_new if as_new > anchor_rank else lexorank.rank_between(anchor_rank, None)


async def _place(session: AsyncSession, organization_id: int, issue: Issue, anchor: Issue, *, before: bool,
                 at: datetime) -> str:
    current = await _rank_of(session, organization_id, issue)
    anchor_rank = await _ensure_ranked(session, organization_id, anchor)
    for attempt in range(2):
        neighbour = await _neighbour(session, organization_id, anchor_rank, below=before)
        if neighbour is not None and neighbour == current:
            return current  # already right there
        if before:
            new = lexorank.rank_between(neighbour, anchor_rank)
        else:
            new = lexorank.rank_between(anchor_rank, neighbour) if neighbour is not None else \
                _after_the_last(anchor_rank, issue, at)
        if not lexorank.needs_rebalance(new) or attempt:
            break
        await do_rebalance(session, organization_id)
        anchor_rank = (await ranks_of(session, organization_id, [anchor.id]))[anchor.id]
        current = (await ranks_of(session, organization_id, [issue.id])).get(issue.id)
    connection = await session.connection()
    if current is None:
        await connection.execute(insert(_RANKS), {"organization_id": organization_id, "issue_id": issue.id,
                                                  "rank": new})
    else:
        await connection.execute(_SET_RANK, {"org": organization_id, "issue": issue.id, "new_rank": new})
    return new


async def do_rank_issues(session: AsyncSession, *, actor: Actor, issues: Sequence[Issue], anchor: Issue,
                         before: bool, at: datetime | None = None) -> dict[int, str]:
    """Place `issues`, in their order, right before (or right after) `anchor`; returns the new
    ranks. Emits `issue_ranked` for each issue."""
    org = actor.organization_id
    await lock_ranks(session, org)
    at = at or datetime.now(UTC)
    placed: dict[int, str] = {}
    # Right after the anchor, the last one goes first so that they end up in the given order.
    for issue in (issues if before else list(reversed(issues))):
        if issue.id == anchor.id:
            continue
        placed[issue.id] = await _place(session, org, issue, anchor, before=before, at=at)
    for issue in issues:
        if issue.id in placed:
            await emit(session, IssueRanked(
                issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id, rank=placed[issue.id],
                rank_before=anchor.id if before else None, rank_after=None if before else anchor.id,
                user_id=actor.user_id, timestamp=at.isoformat()),
                organization_id=org, aggregate_id=issue.id, actor_id=actor.user_id)
    return placed


async def access_rank_anchor(session: AsyncSession, actor: Actor, *, rank_before: object, rank_after: object
                             ) -> tuple[Issue, bool] | None:
    """The issue to rank next to and on which side (True: before it); None when neither is
    given. An issue the actor may not see reads exactly like a missing one."""
    if rank_before is not None and rank_after is not None:
        raise InvalidInput("Give rank_before or rank_after, not both.", field="rank_after")
    if rank_before is None and rank_after is None:
        return None
    field, ref = ("rank_before", rank_before) if rank_before is not None else ("rank_after", rank_after)
    try:
        anchor, _ = await access_issue(session, actor, ref)
    except NotFound:
        raise InvalidInput(f"The issue '{str(ref)[:100]}' does not exist.", field=field) from None
    return anchor, rank_before is not None


async def check_rank_issue(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                           rank_before: object = None, rank_after: object = None) -> str | None:
    """PUT /v2/issues/{id}/rank: needs SCHEDULE_ISSUES in the issue's project."""
    await authorize(session, actor, Permission.SCHEDULE_ISSUES, project)
    found = await access_rank_anchor(session, actor, rank_before=rank_before, rank_after=rank_after)
    if found is None:
        raise InvalidInput("Give rank_before or rank_after: the issue to rank this one next to.", field="rank_before")
    anchor, before = found
    if anchor.id == issue.id:
        raise InvalidInput("An issue cannot be ranked next to itself.", field="rank_before" if before else "rank_after")
    placed = await do_rank_issues(session, actor=actor, issues=[issue], anchor=anchor, before=before)
    return placed.get(issue.id)
