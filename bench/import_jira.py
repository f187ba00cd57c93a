"""Time `tessera import jira --file` over the real Appcelerator Jira dump (29,057 issues, 104,730
comments) into fresh databases, then a second, idempotent run of the same files.

    .venv/bin/python bench/import_jira.py --backend postgres --postgres-url postgresql://root@127.0.0.1:5432/postgres
    .venv/bin/python bench/import_jira.py --backend sqlite

PostgreSQL gets a fresh database (dropped first); SQLite a fresh file. The import runs as the
`tessera` command a user would run, after `tessera migrate` and `tessera create-org`, so the
seconds include process start, reading and surveying the files, and the catalog's setup. The
data is read where it lies (it is not in the repository). Results go to
bench/results/import_jira-<backend>.json and .md.
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
DATA = Path("/work/shared/data/jira-real/tidev-appcelerator")
PROJECTS = ("TIMOB", "AC", "ALOY", "MOD", "DAEMON")
TABLES = ("issues", "comments", "issue_links", "issue_labels", "issue_components", "issue_versions",
          "issue_value_spans", "users", "import_mappings")
TARGET_SECONDS = {"postgres": 180.0}


def tessera(*args: str) -> str:
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING"}
    return subprocess.run([str(TESSERA), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env=environment, check=True).stdout


def run_import(url: str, org: str, data: Path) -> dict:
    tessera("migrate", "--database-url", url)
    tessera("create-org", org, "--name", "Jira import bench", "--admin-email", f"admin@{org.lower()}.test",
            "--admin-password", "correct horse battery", "--database-url", url)
    files = [argument for project in PROJECTS for argument in ("--file", str(data / f"{project}.issues.jsonl.gz"))]
    figures: dict = {"load_average_before": os.getloadavg()[0]}
    for run in ("first", "again"):
        started = time.perf_counter()
        report = json.loads(tessera("import", "jira", "--org", org, *files, "--json", "--database-url", url))
        wall = time.perf_counter() - started
        figures[run] = {"seconds": round(wall, 2), "importer_seconds": report["seconds"],
                        **{k: report[k] for k in ("issues_seen", "created", "updated", "unchanged", "skipped",
                                                  "comments", "links", "parents")}}
    figures["issues"] = figures["first"]["created"]
    figures["issues_per_second"] = round(figures["issues"] / figures["first"]["seconds"], 1)
    figures["load_average_after"] = os.getloadavg()[0]
    figures["jql"] = json.loads(tessera("jql", "project = TIMOB AND status = Closed AND resolution = Fixed",
                                        "--org", org, "--json", "--max-results", "0", "--database-url", url))["total"]
    return figures


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
    finally:
        await connection.close()
    return {"rows": counts, "database_size": size, "server_version": version}


def bench_postgres(base_url: str, name: str, org: str, data: Path) -> dict:
    asyncio.run(admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(base_url, f'CREATE DATABASE "{name}"'))
    url = f"{base_url.rsplit('/', 1)[0]}/{name}"
    figures = run_import(url, org, data)
    figures.update(asyncio.run(postgres_facts(url)))
    figures["target_seconds"] = TARGET_SECONDS["postgres"]
    figures["meets_target"] = figures["first"]["seconds"] < TARGET_SECONDS["postgres"]
    return figures


def bench_sqlite(org: str, data: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="tessera-import-") as directory:
        path = Path(directory) / "bench.db"
        figures = run_import(f"sqlite:///{path}", org, data)
        with sqlite3.connect(path) as connection:
            figures["rows"] = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                               for table in TABLES}
        figures["database_size"] = f"{path.stat().st_size / 2**20:.0f} MB"
        figures["server_version"] = sqlite3.sqlite_version
    return figures


def render(backend: str, run: dict) -> str:
    target = (f"< {run['target_seconds']:.0f} s: {'met' if run['meets_target'] else 'MISSED'}"
              if "target_seconds" in run else "-")
    first, again = run["first"], run["again"]
    lines = [f"# `tessera import jira` of the Appcelerator dump ({backend})", "",
             "Fresh database; seconds are wall time of the `tessera import jira --file ...` process (reading, "
             "surveying, catalog and the bulk writes included). `again` imports the same files once more "
             "(idempotent: everything unchanged).", "",
             "| backend | issues | comments | seconds | issues/s | target | again (s) | again unchanged | db size |"
             " when |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---|",
             f"| {backend} {run['server_version']} | {first['created']:,} | {first['comments']:,} | "
             f"{first['seconds']:.1f} | {run['issues_per_second']:,.0f} | {target} | {again['seconds']:.1f} | "
             f"{again['unchanged']:,} | {run['database_size']} | {run['when']} |", "",
             f"Links {first['links']:,}, parents {first['parents']:,}, skipped issues {first['skipped']:,}; "
             f"`project = TIMOB AND status = Closed AND resolution = Fixed` answers {run['jql']:,}.", "",
             "Rows: " + ", ".join(f"{table} {count:,}" for table, count in run["rows"].items()), "",
             f"Load average (1 min) before/after: {run['load_average_before']:.1f} / "
             f"{run['load_average_after']:.1f} (a shared machine: other work ran beside the import).", "",
             f"Machine: {run['machine']}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--postgres-url", default="postgresql://root@127.0.0.1:5432/postgres",
                        help="a maintenance database URL on the server to create the bench database on")
    parser.add_argument("--database-name", default="tessera_bench_import_jira")
    parser.add_argument("--org", default="JIRA")
    parser.add_argument("--data", type=Path, default=DATA, help="the folder of <PROJECT>.issues.jsonl.gz files")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} is absent: the benchmark reads the real Jira dump where it lies.")
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for backend in ("postgres", "sqlite") if args.backend == "both" else (args.backend,):
        run = (bench_postgres(args.postgres_url, args.database_name, args.org, args.data) if backend == "postgres"
               else bench_sqlite(args.org, args.data))
        run.update(machine=machine, when=when)
        (RESULTS / f"import_jira-{backend}.json").write_text(json.dumps(run, indent=2) + "\n")
        (RESULTS / f"import_jira-{backend}.md").write_text(render(backend, run))
        print((RESULTS / f"import_jira-{backend}.md").read_text())


if __name__ == "__main__":
    main()
