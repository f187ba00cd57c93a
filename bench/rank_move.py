"""Rank moves in a large organization (PostgreSQL): the first move and the moves after it.

    .venv/bin/python bench/rank_move.py [--issues 100000] [--moves 50] [--skip-load]

Data: `tessera load --org RANK --issues N` (every issue gets its tail rank as it is loaded, as
created issues do), then ANALYZE. In-process, as an organization admin, each timed move is one
unit of work (what `PUT /v2/issues/{id}/rank` runs, without HTTP): the first move puts the
oldest issue after the newest one (the worst case when issues have no rank: every issue up to
the newest needs one); then --moves moves each put a random issue before or after another
random one. Counted too: the rank rows a move changed (it must be one).

Results: bench/results/rank_move.json and .md. The machine has 2 cores shared with other work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import pg_admin, tessera  # noqa: E402

from tessera.agile.models import IssueRank  # noqa: E402
from tessera.agile.ranking import check_rank_issue  # noqa: E402
from tessera.config import Settings  # noqa: E402
from tessera.db.engine import Database  # noqa: E402
from tessera.issues.models import Issue  # noqa: E402
from tessera.projects.service import access_project  # noqa: E402
from tessera.tenancy.actor import Actor  # noqa: E402
from tessera.tenancy.models import Organization, User  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DATABASE = "tessera_bench_rank"


def load(url: str, issues: int) -> float:
    tessera("migrate", "--database-url", url)
    started = time.perf_counter()
    tessera("load", "--org", "RANK", "--issues", str(issues), "--database-url", url)
    asyncio.run(pg_admin(url, "VACUUM ANALYZE"))
    return round(time.perf_counter() - started, 1)


async def _admin(database: Database) -> Actor:
    async with database.unit_of_work() as session:
        org = await session.scalar(select(Organization).where(Organization.key == "RANK"))
        assert org is not None
        user = (await session.execute(select(User).where(User.organization_id == org.id, User.role == "admin")
                                      .order_by(User.id).limit(1))).scalar_one()
        return Actor(organization_id=org.id, user_id=user.id, email=user.email, display_name=user.display_name,
                     org_role="admin", organization_key=org.key)


async def _move(database: Database, actor: Actor, issue_id: int, anchor_id: int, *, before: bool) -> tuple[float, int]:
    """(milliseconds, rank rows changed) of one move in its own unit of work."""
    async with database.unit_of_work() as session:
        count_before = await session.scalar(select(func.count()).select_from(IssueRank).where(
            IssueRank.organization_id == actor.organization_id))
        snapshot = dict((await session.execute(select(IssueRank.issue_id, IssueRank.rank).where(
            IssueRank.organization_id == actor.organization_id))).all())
    started = time.perf_counter()
    async with database.unit_of_work() as session:
        issue = await session.get(Issue, issue_id)
        assert issue is not None
        project = await access_project(session, actor, issue.project_id)
        await check_rank_issue(session, actor=actor, issue=issue, project=project,
                               **({"rank_before": anchor_id} if before else {"rank_after": anchor_id}))
    elapsed = (time.perf_counter() - started) * 1000
    async with database.unit_of_work() as session:
        after = dict((await session.execute(select(IssueRank.issue_id, IssueRank.rank).where(
            IssueRank.organization_id == actor.organization_id))).all())
    changed = sum(1 for key, value in after.items() if snapshot.get(key) != value)
    assert len(after) >= (count_before or 0)
    return elapsed, changed


async def measure(url: str, moves: int) -> dict:
    database = Database(Settings(database_url=url))
    try:
        actor = await _admin(database)
        async with database.unit_of_work() as session:
            ids = list((await session.scalars(select(Issue.id).where(
                Issue.organization_id == actor.organization_id).order_by(Issue.created_at, Issue.id))).all())
            unranked = await session.scalar(text(
                "SELECT count(*) FROM issues i WHERE i.organization_id = :org AND NOT EXISTS "
                "(SELECT 1 FROM issue_ranks r WHERE r.organization_id = i.organization_id AND r.issue_id = i.id)"),
                {"org": actor.organization_id})
        first_ms, first_changed = await _move(database, actor, ids[0], ids[-1], before=False)
        chooser = random.Random(7)
        timings, changed = [], []
        for _ in range(moves):
            issue_id, anchor_id = chooser.sample(ids, 2)
            ms, rows = await _move(database, actor, issue_id, anchor_id, before=chooser.random() < 0.5)
            timings.append(ms)
            changed.append(rows)
        timings.sort()
        return {"issues": len(ids), "unranked_before_first_move": unranked, "first_move_ms": round(first_ms, 1),
                "first_move_rank_rows_changed": first_changed, "moves": moves,
                "move_p50_ms": round(statistics.median(timings), 1),
                "move_p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
                "max_rank_rows_changed": max(changed)}
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--postgres", default=os.environ.get("TESSERA_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    url = args.postgres.rsplit("/", 1)[0] + f"/{DATABASE}"
    loaded = None
    if not args.skip_load:
        asyncio.run(pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        asyncio.run(pg_admin(args.postgres, f'CREATE DATABASE "{DATABASE}"'))
        loaded = load(url, args.issues)
    result = {"database": "postgresql", "load_seconds": loaded, **asyncio.run(measure(url, args.moves))}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rank_move.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# Rank moves at scale", "", f"`bench/rank_move.py`, PostgreSQL, {result['issues']:,} issues in one "
             "organization (2 shared cores).", "", "| measure | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in result.items()]
    (RESULTS / "rank_move.md").write_text("\n".join(lines) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
