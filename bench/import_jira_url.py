"""Time `tessera import jira --url` from a live Tessera: org A gets real projects of the
Appcelerator dump through `--file`, `tessera serve` serves it, and the import pulls them through
the Jira-compatible REST API into org B of the same database (REST v2; `--api 3` reads Cloud's v3
with ADF bodies). Then `--changed N` issues are edited at the source and the import runs again,
incrementally (only what was updated since the first run's newest, less the margin), and once
more with `--full` (every issue read again, as every run did before the incremental pull).

    .venv/bin/python bench/import_jira_url.py --backend sqlite
    .venv/bin/python bench/import_jira_url.py --backend postgres --api 3

Seconds are wall time of the `tessera import jira --url` process: its start, the pull (every
page, the project, status and board lookups; its seconds are in the notes), the survey and the
writes (`importer_seconds`). The throttle is off (`--rate
1000`): the figure is the importer's, not a politeness setting's. Results go to
bench/results/import_jira_url-<backend>.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from import_jira import DATA, RESULTS, TESSERA, admin, tessera  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def change_issues(url: str, user: str, token: str, count: int) -> list[str]:
    """Edit the summary of `count` issues at the source, through its Jira API."""
    with httpx.Client(base_url=url, auth=(user, token), timeout=60) as source:
        found = source.post("/rest/api/2/search", json={"jql": "ORDER BY key ASC", "maxResults": count,
                                                        "fields": ["summary"]}).json()["issues"]
        for issue in found:
            source.put(f"/rest/api/2/issue/{issue['key']}",
                       json={"fields": {"summary": issue["fields"]["summary"] + " (edited)"}}).raise_for_status()
    return [issue["key"] for issue in found]


def run(database_url: str, projects: list[str], api: str, changed: int) -> dict:
    tessera("migrate", "--database-url", database_url)
    made = {}
    for org in ("SRC", "DST"):
        out = tessera("create-org", org, "--name", f"{org} org", "--admin-email", f"admin@{org.lower()}.test",
                      "--admin-password", "correct horse battery", "--json", "--database-url", database_url)
        made[org] = json.loads(out.strip().splitlines()[-1])
    files = [argument for project in projects for argument in ("--file", str(DATA / f"{project}.issues.jsonl.gz"))]
    tessera("import", "jira", "--org", "SRC", *files, "--json", "--database-url", database_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING", "TESSERA_BASE_URL": url}
    server = subprocess.Popen([str(TESSERA), "serve", "--port", str(port), "--database-url", database_url],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("tessera serve did not start")
            time.sleep(0.2)
        figures: dict = {"projects": projects, "api": api, "load_average_before": os.getloadavg()[0]}
        secrets = {**environment, "TESSERA_IMPORT_JIRA_USER": "admin@src.test",
                   "TESSERA_IMPORT_JIRA_TOKEN": made["SRC"]["api_token"]}
        with tempfile.TemporaryDirectory(prefix="tessera-spool-") as spool:
            for attempt in ("first", "again", "full"):
                if attempt == "again":
                    figures["changed"] = len(change_issues(url, "admin@src.test", made["SRC"]["api_token"], changed))
                started = time.perf_counter()
                done = subprocess.run([str(TESSERA), "import", "jira", "--org", "DST", "--url", url, "--api", api,
                                       "--rate", "1000", "--spool", spool, "--json", "--database-url", database_url,
                                       *(["--full"] if attempt == "full" else [])],
                                      env=secrets, capture_output=True, text=True, check=True)
                wall = time.perf_counter() - started
                report = json.loads(done.stdout.strip().splitlines()[-1])
                figures[attempt] = {"seconds": round(wall, 2), "importer_seconds": report["seconds"],
                                    **{k: report[k] for k in ("issues_seen", "created", "updated", "unchanged",
                                                              "skipped", "comments", "histories", "links", "parents")},
                                    "notes": report["notes"]}
        figures["issues"] = figures["first"]["created"]
        figures["issues_per_second"] = round(figures["issues"] / figures["first"]["seconds"], 1)
        figures["load_average_after"] = os.getloadavg()[0]
        return figures
    finally:
        server.terminate()
        server.wait(timeout=20)


def render(backend: str, figures: dict) -> str:
    first, again, full = figures["first"], figures["again"], figures["full"]
    return "\n".join([
        f"# `tessera import jira --url` from a live Tessera ({backend}, REST v{figures['api']})", "",
        f"Projects {', '.join(figures['projects'])} served by `tessera serve`, imported into another organization "
        "of the same database; seconds are the wall time of the import process (pull and writes). Then "
        f"{figures['changed']} issues are edited at the source and the import runs again: incrementally (the "
        "default), then with `--full` (every issue read again, as every second run did before the incremental "
        "pull).", "",
        "| backend | issues | comments | histories | seconds | of which survey and writes | issues/s |"
        " again, incremental (s) | its issues seen / updated | again, --full (s) | its issues seen / unchanged | when |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {backend} | {first['created']:,} | {first['comments']:,} | {first['histories']:,} | {first['seconds']:.1f} | "
        f"{first['importer_seconds']:.1f} | {figures['issues_per_second']:,.1f} | {again['seconds']:.1f} | "
        f"{again['issues_seen']:,} / {again['updated']:,} | {full['seconds']:.1f} | "
        f"{full['issues_seen']:,} / {full['unchanged']:,} | {figures['when']} |",
        "", "Notes (first run): " + "; ".join(first["notes"]), "",
        "Notes (incremental run): " + "; ".join(again["notes"]), "",
        f"Load average (1 min) before/after: {figures['load_average_before']:.1f} / "
        f"{figures['load_average_after']:.1f} (a shared machine).", "", f"Machine: {figures['machine']}", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://root@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench_import_jira_url")
    parser.add_argument("--project", action="append", default=None, help="DAEMON unless named (repeatable)")
    parser.add_argument("--api", choices=("2", "3"), default="2")
    parser.add_argument("--changed", type=int, default=10, help="issues edited at the source before the second run")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: the benchmark reads the real Jira dump where it lies.")
    projects = args.project or ["DAEMON"]
    with tempfile.TemporaryDirectory(prefix="tessera-url-bench-") as directory:
        if args.backend == "postgres":
            asyncio.run(admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{args.database_name}" WITH (FORCE)'))
            asyncio.run(admin(args.postgres_url, f'CREATE DATABASE "{args.database_name}"'))
            database_url = f"{args.postgres_url.rsplit('/', 1)[0]}/{args.database_name}"
        else:
            database_url = f"sqlite:///{directory}/bench.db"
        figures = run(database_url, projects, args.api, args.changed)
    figures.update(machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                   when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"import_jira_url-{args.backend}" + ("-v3" if args.api == "3" else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(render(args.backend, figures))
    print((RESULTS / f"{name}.md").read_text())


if __name__ == "__main__":
    main()
