"""Time `tessera load` against fresh databases and record the figures.

    .venv/bin/python bench/bulk_load.py --issues 1000000 --sqlite-issues 200000

PostgreSQL gets a fresh database (dropped first); SQLite a fresh file. The load runs as the
`tessera` command a user would run, after `tessera migrate`, so the seconds include process start
and the organization's setup. Results are merged into bench/results/bulk_load.json (keyed by
backend) and rendered to bench/results/bulk_load.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

RESULTS = Path(__file__).parent / "results"
TESSERA = Path(sys.executable).parent / "tessera"
TABLES = ("issues", "issue_labels", "issue_components", "issue_versions", "custom_field_values", "change_groups",
          "change_items")
TARGET_SECONDS = {"postgres": 300.0}


def tessera(*args: str) -> str:
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING"}
    done = subprocess.run([str(TESSERA), *args], stdout=subprocess.PIPE, stderr=None, text=True, env=environment,
                          check=True)
    return done.stdout


async def admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def postgres_facts(url: str) -> dict:
    connection = await asyncpg.connect(url)
    try:
        counts = {table: await connection.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}
        size = await connection.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
        version = await connection.fetchval("SHOW server_version")
        superuser = await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    finally:
        await connection.close()
    return {"rows": counts, "database_size": size, "server_version": version,
            "foreign_key_checks": "skipped (superuser: session_replication_role=replica)" if superuser else "on"}


def run_load(url: str, org: str, issues: int) -> dict:
    tessera("migrate", "--database-url", url)
    started = time.perf_counter()
    output = tessera("load", "--org", org, "--issues", str(issues), "--database-url", url)
    wall = time.perf_counter() - started
    result = json.loads(output.strip().splitlines()[-1])
    return {"issues": issues, "seconds": round(wall, 2), "issues_per_second": round(issues / wall, 1),
            "loader_seconds": result["seconds"], "loader_rate": result["rate"]}


def bench_postgres(base_url: str, name: str, org: str, issues: int) -> dict:
    asyncio.run(admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(base_url, f'CREATE DATABASE "{name}"'))
    url = f"{base_url.rsplit('/', 1)[0]}/{name}"
    figures = run_load(url, org, issues)
    figures.update(asyncio.run(postgres_facts(url)))
    figures["target_seconds"] = TARGET_SECONDS["postgres"]
    figures["meets_target"] = figures["seconds"] < TARGET_SECONDS["postgres"]
    return figures


def bench_sqlite(org: str, issues: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="tessera-bulk-") as directory:
        path = Path(directory) / "bench.db"
        figures = run_load(f"sqlite:///{path}", org, issues)
        with sqlite3.connect(path) as connection:
            figures["rows"] = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                               for table in TABLES}
        figures["database_size"] = f"{path.stat().st_size / 2**20:.0f} MB"
        figures["server_version"] = sqlite3.sqlite_version
    return figures


def render(results: dict) -> str:
    lines = ["# Bulk load (`tessera load`)", "",
             "Fresh database per run; seconds are wall time of the `tessera load` process (setup included).", "",
             "| backend | issues | seconds | issues/s | target | rows written | db size | when |",
             "|---|---:|---:|---:|---|---:|---:|---|"]
    for backend, run in sorted(results["runs"].items()):
        target = (f"< {run['target_seconds']:.0f} s: {'met' if run['meets_target'] else 'MISSED'}"
                  if "target_seconds" in run else "-")
        lines.append(f"| {backend} {run['server_version']} | {run['issues']:,} | {run['seconds']:.1f} | "
                     f"{run['issues_per_second']:,.0f} | {target} | {sum(run['rows'].values()):,} | "
                     f"{run['database_size']} | {run['when']} |")
    lines += ["", "Rows per table:", ""]
    for backend, run in sorted(results["runs"].items()):
        lines.append(f"- {backend}: " + ", ".join(f"{table} {count:,}" for table, count in run["rows"].items()))
        if "foreign_key_checks" in run:
            lines.append(f"  (foreign-key triggers during COPY: {run['foreign_key_checks']})")
    lines += ["", f"Machine: {results['machine']}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=1_000_000, help="issues for PostgreSQL (0 skips it)")
    parser.add_argument("--sqlite-issues", type=int, default=0, help="issues for SQLite (0 skips it)")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a maintenance database URL on the server to create the bench database on")
    parser.add_argument("--database-name", default="tessera_bench_bulk")
    parser.add_argument("--org", default="BIG")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "bulk_load.json"
    results = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.issues:
        results["runs"]["postgres"] = {**bench_postgres(args.postgres_url, args.database_name, args.org,
                                                        args.issues), "when": when}
        print(json.dumps(results["runs"]["postgres"]))
    if args.sqlite_issues:
        results["runs"]["sqlite"] = {**bench_sqlite(args.org, args.sqlite_issues), "when": when}
        print(json.dumps(results["runs"]["sqlite"]))
    path.write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "bulk_load.md").write_text(render(results))
    print((RESULTS / "bulk_load.md").read_text())


if __name__ == "__main__":
    main()
