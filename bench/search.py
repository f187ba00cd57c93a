"""Time twelve typical JQL searches on a million issues and record P50/P95 per query.

    .venv/bin/python bench/search.py                      # PostgreSQL, 1,000,000 + 9 x 20,000 issues
    .venv/bin/python bench/search.py --backend sqlite     # SQLite, 200,000 + 9 x 4,000 issues
    .venv/bin/python bench/search.py --skip-load          # reuse the database of the last run

The data is loaded by `tessera load` (the command a user would run) into a fresh database: one
big organization (BIG) plus nine smaller ones (S1..S9), so the tenancy filter has rows to skip.
Then ANALYZE, and each query runs in-process through `tessera.jql.search.search_issues` with a
real actor (a member of BIG, who is `currentUser()`), max_results 50 and an exact total: a few
warm-up runs, then --runs timed ones, each in its own read-only unit of work scoped to BIG (as a request
would, so under PostgreSQL's row-level security), so the figures include parsing, validation, catalog lookups and both the page and the
count queries, but not HTTP. For the slowest queries on PostgreSQL the statements the search
sent are captured and re-run under EXPLAIN (ANALYZE, BUFFERS); the plans go into the .md.

Results: bench/results/search-<backend>.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import event, select

RESULTS = Path(__file__).parent / "results"
TESSERA = Path(sys.executable).parent / "tessera"
SQLITE_PATH = Path("/tmp/tessera-bench-search/search.db")
TARGET_MS = {"structured": 200.0, "text": 500.0}


@dataclass(frozen=True)
class BenchQuery:
    name: str
    jql: str
    kind: str = "structured"  # structured | text (the P95 target differs)
    count_only: bool = False


QUERIES = (
    BenchQuery("my work in a project", 'project = WEB AND status = "In Progress" AND assignee = currentUser() '
                                       "ORDER BY updated DESC"),
    BenchQuery("priority IN + label", "priority IN (High, Highest) AND labels = performance"),
    BenchQuery("text ~ word", 'text ~ "checkout"', kind="text"),
    BenchQuery("created in the last 30 days", "created >= -30d ORDER BY created DESC"),
    BenchQuery("overdue and not done", "statusCategory != Done AND due < now()"),
    BenchQuery("status WAS", 'status WAS "In Progress"'),
    BenchQuery("assignee CHANGED AFTER", "assignee CHANGED AFTER -30d"),
    BenchQuery("OR across projects", "project IN (WEB, API) OR priority = Highest"),
    BenchQuery("count only", "project = MOB AND resolution = Unresolved", count_only=True),
    BenchQuery("summary ~ phrase", 'summary ~ "\\"login button\\""', kind="text"),
    BenchQuery("fixVersion ORDER BY priority", 'fixVersion = "2.0" ORDER BY priority DESC'),
    BenchQuery("resolved, newest first", "NOT resolution = Unresolved ORDER BY resolved DESC"),
)


# -- loading ---------------------------------------------------------------------------------------

def tessera(*args: str) -> str:
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING"}
    done = subprocess.run([str(TESSERA), *args], stdout=subprocess.PIPE, stderr=None, text=True, env=environment,
                          check=True)
    return done.stdout


async def pg_admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def load(url: str, big: int, small: int, small_orgs: int) -> dict:
    tessera("migrate", "--database-url", url)
    seconds = {}
    for org, issues in [("BIG", big)] + [(f"S{n}", small) for n in range(1, small_orgs + 1)]:
        started = time.perf_counter()
        tessera("load", "--org", org, "--issues", str(issues), "--database-url", url)
        seconds[org] = round(time.perf_counter() - started, 1)
        print(f"loaded {issues:,} issues into {org} in {seconds[org]} s", flush=True)
    return {"big_issues": big, "small_orgs": small_orgs, "small_issues": small, "load_seconds": seconds}


def prepare(backend: str, args: argparse.Namespace) -> tuple[str, dict]:
    if backend == "postgres":
        base = args.postgres_url
        url = f"{base.rsplit('/', 1)[0]}/{args.database_name}"
        if args.skip_load:
            tessera("migrate", "--database-url", url)  # indexes added since the load
            asyncio.run(pg_admin(url, "ANALYZE"))
            return url, {}
        asyncio.run(pg_admin(base, f'DROP DATABASE IF EXISTS "{args.database_name}" WITH (FORCE)'))
        asyncio.run(pg_admin(base, f'CREATE DATABASE "{args.database_name}"'))
        facts = load(url, args.issues, args.small_issues, args.small_orgs)
        asyncio.run(pg_admin(url, "VACUUM ANALYZE"))
        return url, facts
    url = f"sqlite:///{SQLITE_PATH}"
    if args.skip_load:
        tessera("migrate", "--database-url", url)
        with sqlite3.connect(SQLITE_PATH) as connection:
            connection.execute("ANALYZE")
        return url, {}
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    facts = load(url, args.sqlite_issues, args.sqlite_small_issues, args.small_orgs)
    with sqlite3.connect(SQLITE_PATH) as connection:
        connection.execute("ANALYZE")
    return url, facts


# -- measuring -------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


async def bench_actor(database, org_key: str):  # type: ignore[no-untyped-def]
    """The first active member of the organization: a person the loader assigns issues to."""
    from tessera.tenancy.actor import Actor
    from tessera.tenancy.models import Organization, User

    async with database.unit_of_work(write=False) as session:
        organization = await session.scalar(select(Organization).where(Organization.key == org_key))
        assert organization is not None, f"no organization {org_key}: load it first"
        user = await session.scalar(select(User).where(
            User.organization_id == organization.id, User.role == "member", User.active.is_(True)).order_by(User.id))
        assert user is not None
        return Actor(organization_id=organization.id, user_id=user.id, email=user.email,
                     display_name=user.display_name, org_role=user.role, organization_key=organization.key,
                     via="system")


async def measure(url: str, backend: str, runs: int, warmup: int, explain: int, *,
                  row_security: bool = True) -> dict:
    """`row_security`: PostgreSQL's second wall on or off (tessera.db.row_security; bench/row_security.py
    runs both side by side)."""
    from tessera.config import Settings
    from tessera.db.engine import Database
    from tessera.jql.search import search_issues

    database = Database(Settings(database_url=url, database_row_security=row_security))
    captured: list[tuple[str, object]] | None = None

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if captured is not None and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    event.listen(database.read_engine.sync_engine, "before_cursor_execute", capture)
    try:
        actor = await bench_actor(database, "BIG")
        results = []
        for query in QUERIES:
            async def once() -> tuple[float, int, int]:
                started = time.perf_counter()
                async with database.unit_of_work(write=False, organization_id=actor.organization_id) as session:
                    page = await search_issues(session, actor=actor, jql=query.jql, max_results=50,
                                               count_only=query.count_only)
                return (time.perf_counter() - started) * 1000, page.total, len(page.issues)

            for _ in range(warmup):
                await once()
            captured = []
            _, total, shown = await once()
            statements, captured = captured, None
            timings = [(await once())[0] for _ in range(runs)]
            p95 = percentile(timings, 0.95)
            target = TARGET_MS[query.kind]
            results.append({"name": query.name, "jql": query.jql, "kind": query.kind,
                            "count_only": query.count_only, "total": total, "returned": shown,
                            "p50_ms": round(statistics.median(timings), 1), "p95_ms": round(p95, 1),
                            "max_ms": round(max(timings), 1), "target_p95_ms": target,
                            "meets_target": p95 < target, "statements": statements})
            print(f"{query.name:32} total {total:>9,}  P50 {results[-1]['p50_ms']:8.1f} ms  "
                  f"P95 {results[-1]['p95_ms']:8.1f} ms", flush=True)
        if backend == "postgres" and explain:
            for result in sorted(results, key=lambda r: -r["p95_ms"])[:explain]:
                result["explain"] = await explain_statements(database, result["statements"])
        for result in results:
            result["sql_statements"] = len(result.pop("statements"))
        return {"actor": actor.email, "queries": results}
    finally:
        await database.dispose()


_SEARCHED_TABLES = ("FROM issues", "issue_value_spans", "change_items", "comments", "issue_labels",
                    "issue_versions")
_LONG_ARRAY = re.compile(r"'\{([0-9,]{120,})\}'")


def _shorten(match: re.Match) -> str:  # type: ignore[type-arg]
    """An array of thousands of matched ids, as its first few and how many."""
    ids = match.group(1).split(",")
    return f"'{{{','.join(ids[:8])},… {len(ids):,} ids}}'"


async def explain_statements(database, statements: list[tuple[str, object]]) -> list[str]:  # type: ignore[no-untyped-def]
    """Each captured statement under EXPLAIN (ANALYZE, BUFFERS), with the parameters it ran with."""
    from tessera.jql.search import SEARCH_SETTINGS

    plans = []
    for statement, parameters in statements:
        if not any(table in statement for table in _SEARCHED_TABLES):
            continue  # the catalog and permission look-ups: a few rows each
        async with database.unit_of_work(write=False) as session:
            connection = await session.connection()
            for name, value in SEARCH_SETTINGS:  # as the search's own transaction has them
                await connection.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
            try:
                rows = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
                plan = _LONG_ARRAY.sub(_shorten, "\n".join(row[0] for row in rows))
            except Exception as error:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
                plan = f"(EXPLAIN failed: {type(error).__name__}: {str(error)[:300]})"
        plans.append(f"{statement}\n\n{plan}")
    return plans


# -- reporting -------------------------------------------------------------------------------------

def render(backend: str, result: dict) -> str:
    facts = result.get("dataset", {})
    lines = [f"# JQL search benchmark ({backend})", "",
             f"Data: `tessera load` of {facts.get('big_issues', '?'):,} issues into BIG plus "
             f"{facts.get('small_orgs', '?')} organizations of {facts.get('small_issues', '?'):,}; ANALYZE after "
             f"loading. In-process `search_issues` as {result['actor']} (member of BIG, `currentUser()`), "
             f"max_results 50, exact total; {result['warmup']} warm-up runs then {result['runs']} timed runs, "
             f"each in its own read-only unit of work.", "",
             "| # | query | JQL | total | P50 ms | P95 ms | max ms | target P95 |", "|---:|---|---|---:|---:|---:|---:|---|"]
    for index, query in enumerate(result["queries"], start=1):
        target = f"< {query['target_p95_ms']:.0f} ms: {'met' if query['meets_target'] else 'MISSED'}"
        jql = query["jql"].replace("|", "\\|")
        lines.append(f"| {index} | {query['name']}{' (count only)' if query['count_only'] else ''} | `{jql}` | "
                     f"{query['total']:,} | {query['p50_ms']:.1f} | {query['p95_ms']:.1f} | {query['max_ms']:.1f} | "
                     f"{target if backend == 'postgres' else '(targets are for PostgreSQL)'} |")
    lines += ["", f"Server: {result['server_version']} ({result.get('settings', '')}). Machine: {result['machine']}. "
              f"Run: {result['when']}.", ""]
    explained = [query for query in result["queries"] if query.get("explain")]
    if explained:
        lines += ["## Plans of the slowest queries", "",
                  "The statements the search sent (the first run after warm-up), re-run under "
                  "EXPLAIN (ANALYZE, BUFFERS) with the same parameters.", ""]
        for query in explained:
            lines += [f"### {query['name']}: `{query['jql']}` (P95 {query['p95_ms']:.1f} ms)", ""]
            for plan in query["explain"]:
                lines += ["```", plan, "```", ""]
    return "\n".join(lines)


async def server_settings(url: str) -> str:
    """The server's own memory settings and what a search sets for its transaction."""
    if url.startswith("sqlite"):
        return "SQLite defaults"
    from tessera.jql.search import SEARCH_SETTINGS

    connection = await asyncpg.connect(url)
    try:
        server = [f"{name}={await connection.fetchval(f'SHOW {name}')}"
                  for name in ("shared_buffers", "effective_cache_size", "max_parallel_workers_per_gather")]
    finally:
        await connection.close()
    per_search = ", ".join(f"{name}={value}" for name, value in SEARCH_SETTINGS)
    return f"server {', '.join(server)}; Tessera's connections jit=off, each search {per_search}"


async def server_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    connection = await asyncpg.connect(url)
    try:
        return "PostgreSQL " + await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="postgres")
    parser.add_argument("--issues", type=int, default=1_000_000, help="issues in BIG on PostgreSQL")
    parser.add_argument("--small-issues", type=int, default=20_000, help="issues per small org on PostgreSQL")
    parser.add_argument("--sqlite-issues", type=int, default=200_000, help="issues in BIG on SQLite")
    parser.add_argument("--sqlite-small-issues", type=int, default=4_000, help="issues per small org on SQLite")
    parser.add_argument("--small-orgs", type=int, default=9)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--explain", type=int, default=4, help="EXPLAIN the N slowest queries (PostgreSQL)")
    parser.add_argument("--load-only", action="store_true", help="load and stop (search can run later)")
    parser.add_argument("--skip-load", action="store_true", help="reuse the database of the previous run")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a maintenance database URL on the server to create the bench database on")
    parser.add_argument("--database-name", default="tessera_bench_search")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for backend in ("postgres", "sqlite") if args.backend == "both" else (args.backend,):
        url, facts = prepare(backend, args)
        path = RESULTS / f"search-{backend}.json"
        if args.load_only:
            path.write_text(json.dumps({"backend": backend, "dataset": facts}, indent=2) + "\n")
            continue
        previous = json.loads(path.read_text()) if path.exists() else {}
        result = asyncio.run(measure(url, backend, args.runs, args.warmup, args.explain))
        result.update({"backend": backend, "dataset": facts or previous.get("dataset", {}), "runs": args.runs,
                       "warmup": args.warmup, "server_version": asyncio.run(server_version(url)),
                       "settings": asyncio.run(server_settings(url)),
                       "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                       "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")})
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        (RESULTS / f"search-{backend}.md").write_text(render(backend, result))
        print((RESULTS / f"search-{backend}.md").read_text())


if __name__ == "__main__":
    main()
