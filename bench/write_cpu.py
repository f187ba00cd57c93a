"""Server CPU per write (create, update, transition) on PostgreSQL, for comparing two versions of
the code side by side on a busy machine, where throughput is mostly noise.

    .venv/bin/python bench/write_cpu.py --tree /path/to/old --tree /path/to/new --rounds 3

Each round starts a fresh server per tree (PYTHONPATH picks the code; the trees alternate) on a
fresh database, warms it up, then runs a fixed number of each write with --clients concurrent
clients and reads the server's CPU time (user + system of the whole process group, from /proc)
around each phase: CPU seconds per request do not count the time a request waited for a core,
though contention still moves them (by 20 % and more between rounds on a machine at load 4 to
10; see bench/results/issue14-writes.md): compare medians of several alternating rounds. The workflow of transitions is bench/transitions.py's (5 validators, 3 post-functions).
PostgreSQL's own CPU is not counted (other sessions share the database server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import create_org, free_port, fresh_database, start_server, stop_server, tessera  # noqa: E402
from fast_client import FastClient  # noqa: E402
from transitions import WORKFLOW  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(group: int) -> float:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


async def in_parallel(count: int, clients: int, operation) -> int:  # type: ignore[no-untyped-def]
    """Run `operation(n)` for n < count, `clients` at a time; returns how many answered as expected."""
    queue = iter(range(count))
    ok = 0

    async def client() -> None:
        nonlocal ok
        for n in queue:
            answered = await operation(n)
            ok += answered

    await asyncio.gather(*(client() for _ in range(clients)))
    return ok


def report_failure(what: str, response) -> None:  # type: ignore[no-untyped-def]
    print(f"{what}: {response.status_code} {response.text[:300]}", file=sys.stderr)


async def measure(url: str, token: str, group: int, args: argparse.Namespace) -> dict:
    async with FastClient(url, headers={"Authorization": f"Bearer {token}"}, max_connections=args.clients) as http:
        workflow_id = (await http.post("/v2/workflows", json=WORKFLOW)).json()["id"]
        await http.post("/v2/projects", json={"key": "CPU", "name": "Write CPU"})
        issues: list[list[int]] = []
        at_a: dict[int, bool] = {}

        async def create(n: int) -> bool:
            response = await http.post("/v2/issues", json={
                "project_id": "CPU", "issue_type": ("Story", "Bug", "Task")[n % 3], "summary": f"Write {n}",
                "description": "Measured for server CPU. " * (n % 5), "priority": ("High", "Medium", "Low")[n % 3],
                "labels": [("frontend", "backend", "customer")[n % 3], "regression"], "workflow_id": workflow_id})
            if response.status_code == 201:
                issues.append([response.json()["id"], response.json()["version"]])
                at_a[response.json()["id"]] = True
            else:
                report_failure("create", response)
            return response.status_code == 201

        async def update(n: int) -> bool:
            issue = issues[n % len(issues)]
            response = await http.put(f"/v2/issues/{issue[0]}", json={
                "summary": f"Updated {n}", "priority": ("Highest", "High", "Medium", "Low")[n % 4], "version": issue[1]})
            if response.status_code == 200:
                issue[1] = response.json()["version"]
            else:
                report_failure("update", response)
            return response.status_code == 200

        async def transition(n: int) -> bool:
            # Client n % clients owns every clients-th issue: no two requests race on one issue.
            issue = issues[n % len(issues)][0]
            response = await http.post(f"/v2/issues/{issue}/transitions/{'ab' if at_a[issue] else 'ba'}", json={})
            if response.status_code == 200:
                at_a[issue] = not at_a[issue]
            else:
                report_failure("transition", response)
            return response.status_code == 200

        phases = {}
        for name, operation, count in (("create", create, args.count), ("update", update, args.count),
                                       ("transition", transition, args.count)):
            await in_parallel(args.warmup, args.clients, operation)
            before, started = group_cpu_seconds(group), time.perf_counter()
            ok = await in_parallel(count, args.clients, operation)
            cpu, seconds = group_cpu_seconds(group) - before, time.perf_counter() - started
            phases[name] = {"requests": count, "ok": ok, "server_cpu_ms_per_request": round(1000 * cpu / count, 3),
                            "seconds": round(seconds, 2), "load_average_1m": round(os.getloadavg()[0], 2)}
        return phases


def run_tree(tree: str, args: argparse.Namespace) -> dict:
    os.environ["PYTHONPATH"] = tree
    with tempfile.TemporaryDirectory(prefix="tessera-write-cpu-") as directory:
        database_url = fresh_database("postgres", args.postgres_url, args.database_name, directory)
        tessera("migrate", "--database-url", database_url)
        token = create_org(database_url)
        port = free_port()
        server = start_server(database_url, port, args.workers)
        try:
            return asyncio.run(measure(f"http://127.0.0.1:{port}", token, server.pid, args))
        finally:
            stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", required=True, help="a checkout whose tessera/ to serve")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=300, help="requests of each write per round")
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench_write_cpu")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the per-round figures")
    args = parser.parse_args()
    runs = []
    for round_number in range(1, args.rounds + 1):
        for tree in args.tree:
            phases = run_tree(tree, args)
            runs.append({"round": round_number, "tree": tree, "phases": phases})
            print(json.dumps(runs[-1]), flush=True)
    medians = {tree: {name: statistics.median(run["phases"][name]["server_cpu_ms_per_request"]
                                              for run in runs if run["tree"] == tree)
                      for name in ("create", "update", "transition")} for tree in args.tree}
    args.out.write_text(json.dumps({"runs": runs, "median_server_cpu_ms_per_request": medians}, indent=2) + "\n")
    print(json.dumps(medians, indent=2))


if __name__ == "__main__":
    main()
