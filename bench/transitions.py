"""Workflow transitions under load: transitions/s and latency percentiles for a workflow whose
transitions each run 5 validators and 3 post-functions, and the available-transitions lookup.

    .venv/bin/python bench/transitions.py --backend postgres --workers 2 --clients 16 --duration 20
    .venv/bin/python bench/transitions.py --backend sqlite --workers 1 --clients 16 --duration 20
    .venv/bin/python bench/transitions.py --backend sqlite --preload 100000 --label sqlite-100k  # a big organization
    # or target a running server (a token of an admin of some organization):
    .venv/bin/python bench/transitions.py --url http://127.0.0.1:8000 --token tsr_... --duration 20

The workflow is a loop, Bench A → Bench B → Bench A, so an issue can be transitioned forever.
Each virtual client owns its own slice of the issues (no two clients race on one issue, so 409s
mean a bug, not contention) and walks them round-robin. Phases: "transitions" for --duration
seconds (the default request: the transitioned issue comes back, 200; this is the headline
figure the targets are checked on), then "transitions-minimal" for --minimal-seconds (the same
transitions with `Prefer: return=minimal`: 204, no body, as Jira's transition endpoint
answers; 0 skips it), then "lookup" (GET /v2/workflows/{id}/transitions?issue_id=…) with the same clients
for --lookup-seconds, then "lookup-serial" with one client (the lookup's own cost, without
queueing behind other requests). Latency is measured in the client around each request; the
load generator shares the machine with the server and its CPU use is recorded.

Server start, organization and rate limits come from bench/api_load.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fast_client import ERRORS as CLIENT_ERRORS  # noqa: E402
from fast_client import FastClient

sys.path.insert(0, str(Path(__file__).parent))
from api_load import (  # a sibling script, not a package
    OperationStats,
    target_server,
)

RESULTS = Path(__file__).parent / "results"
TARGETS = {"transitions_per_second": 500.0, "transition_p95_ms": 30.0, "lookup_p95_ms": 5.0}


def rich(transition_id: str, source: str, target: str, priority: str) -> dict:
    return {
        "id": transition_id, "name": f"To {target}", "from": [source], "to": target,
        "conditions": [{"type": "permission", "params": {"permission": "TRANSITION_ISSUES"}}],
        "validators": [
            {"type": "field_required", "params": {"fields": ["summary", "priority"]}},
            {"type": "field_matches", "params": {"field": "summary", "pattern": r"\S"}},
            {"type": "permission", "params": {"permission": "TRANSITION_ISSUES"}},
            {"type": "date_in_range", "params": {"field": "due_date", "min_days_from_now": -3650}},
            {"type": "parent_status", "params": {"categories": ["todo", "in_progress"]}},
        ],
        "post_functions": [
            {"type": "assign", "params": {"to": "current_user"}},
            {"type": "set_field", "params": {"field": "priority", "value": priority}},
            {"type": "fire_event", "params": {"event": "bench_moved"}},
        ],
    }


WORKFLOW = {
    "name": "Bench loop", "key": "bench_loop",
    "description": "Two statuses and two rich transitions between them, for benchmarks.",
    "statuses": [{"name": "Bench A", "category": "todo"}, {"name": "Bench B", "category": "in_progress"}],
    "initial_status": "Bench A",
    "transitions": [rich("ab", "Bench A", "Bench B", "High"), rich("ba", "Bench B", "Bench A", "Low")],
}


@dataclass
class Issue:
    id: int
    at_a: bool


async def run_phase(clients: int, duration: float, slices: list[list[Issue]],
                    operation: Callable[[Issue, OperationStats], Awaitable[None]]) -> dict:
    stats = OperationStats()
    deadline = time.perf_counter() + duration

    async def virtual_client(mine: list[Issue]) -> None:
        turn = 0
        while time.perf_counter() < deadline:
            try:
                await operation(mine[turn % len(mine)], stats)
            except (httpx.HTTPError, *CLIENT_ERRORS) as error:
                stats.errors[type(error).__name__] = stats.errors.get(type(error).__name__, 0) + 1
            turn += 1

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    await asyncio.gather(*(virtual_client(slices[i % len(slices)]) for i in range(clients)))
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {"seconds": round(seconds, 2), "clients": clients, "load_generator_cpu_percent": round(100 * cpu / seconds, 1),
            "machine_load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            **stats.summary(seconds)}


async def measure(url: str, token: str, args: argparse.Namespace) -> tuple[dict, dict]:
    headers = {"Authorization": f"Bearer {token}"}
    async with FastClient(url, headers=headers, max_connections=args.clients) as client, \
            FastClient(url, headers={**headers, "Prefer": "return=minimal"},
                       max_connections=args.clients) as minimal_client:
        created = await client.post("/v2/workflows", json=WORKFLOW)
        if created.status_code == 409:
            created = await client.get(f"/v2/workflows/{WORKFLOW['key']}")
        if created.status_code not in (200, 201):
            raise SystemExit(f"creating the workflow: {created.status_code} {created.text}")
        workflow_id = created.json()["id"]
        project = await client.post("/v2/projects", json={"key": "BTR", "name": "Bench transitions"})
        if project.status_code not in (201, 409):
            raise SystemExit(f"creating the project: {project.status_code} {project.text}")
        semaphore = asyncio.Semaphore(args.clients)

        async def create(n: int) -> Issue:
            async with semaphore:
                response = await client.post("/v2/issues", json={
                    "project_id": "BTR", "issue_type": "Task", "summary": f"Loop {n}", "priority": "Medium",
                    "workflow_id": workflow_id})
            if response.status_code != 201:
                raise SystemExit(f"creating an issue: {response.status_code} {response.text}")
            return Issue(response.json()["id"], True)

        issues = await asyncio.gather(*(create(n) for n in range(args.issues)))
        slices = [issues[i::args.clients] for i in range(args.clients)]

        async def transition(issue: Issue, stats: OperationStats, *, minimal: bool = False) -> None:
            started = time.perf_counter()
            response = await (minimal_client if minimal else client).post(
                f"/v2/issues/{issue.id}/transitions/{'ab' if issue.at_a else 'ba'}", json={})
            expected = 204 if minimal else 200
            stats.record(time.perf_counter() - started, response.status_code, expected)
            if response.status_code == expected:
                issue.at_a = not issue.at_a
            elif len(stats.errors) < 3 and response.status_code != 409:
                print(f"transition: {response.status_code} {response.text[:300]}", file=sys.stderr)

        async def transition_minimal(issue: Issue, stats: OperationStats) -> None:
            await transition(issue, stats, minimal=True)

        async def lookup(issue: Issue, stats: OperationStats) -> None:
            started = time.perf_counter()
            response = await client.get(f"/v2/workflows/{workflow_id}/transitions", params={"issue_id": issue.id})
            stats.record(time.perf_counter() - started, response.status_code, 200)
            if response.status_code == 200 and len(response.json()["transitions"]) != 1:
                stats.errors["wrong_transitions"] = stats.errors.get("wrong_transitions", 0) + 1

        await run_phase(args.clients, min(3.0, args.duration / 5), slices, transition)  # warm-up
        phases = {"transitions": await run_phase(args.clients, args.duration, slices, transition)}
        if args.minimal_seconds > 0:
            phases["transitions-minimal"] = await run_phase(args.clients, args.minimal_seconds, slices,
                                                            transition_minimal)
        phases |= {"lookup": await run_phase(args.clients, args.lookup_seconds, slices, lookup),
                  "lookup-serial": await run_phase(1, args.lookup_seconds, [issues], lookup)}
        setup = {"workflow_id": workflow_id, "issues": len(issues), "preloaded_issues": args.preload}
    return phases, setup


def verdicts(phases: dict, backend: str, workers: int) -> dict:
    moves, lookup, serial = phases["transitions"], phases["lookup"], phases["lookup-serial"]
    checks = {
        # The default request (the issue in the response); transitions-minimal is reported beside it.
        "transitions_per_second": {"target": f">= {TARGETS['transitions_per_second']:.0f}",
                                   "value": moves["per_second"],
                                   "met": moves["per_second"] >= TARGETS["transitions_per_second"]},
        "transition_p95_ms": {"target": f"< {TARGETS['transition_p95_ms']:.0f}", "value": moves["p95_ms"],
                              "met": moves["p95_ms"] < TARGETS["transition_p95_ms"]},
        "lookup_p95_ms (under load)": {"target": f"< {TARGETS['lookup_p95_ms']:.0f}", "value": lookup["p95_ms"],
                                       "met": lookup["p95_ms"] < TARGETS["lookup_p95_ms"]},
        "lookup_p95_ms (one client)": {"target": f"< {TARGETS['lookup_p95_ms']:.0f}", "value": serial["p95_ms"],
                                       "met": serial["p95_ms"] < TARGETS["lookup_p95_ms"]},
    }
    if minimal := phases.get("transitions-minimal"):
        label = " (Prefer: return=minimal, 204; beside the headline, not instead of it)"
        checks[f"transitions_per_second{label}"] = {
            "target": f">= {TARGETS['transitions_per_second']:.0f}", "value": minimal["per_second"],
            "met": minimal["per_second"] >= TARGETS["transitions_per_second"]}
        checks[f"transition_p95_ms{label}"] = {
            "target": f"< {TARGETS['transition_p95_ms']:.0f}", "value": minimal["p95_ms"],
            "met": minimal["p95_ms"] < TARGETS["transition_p95_ms"]}
    note = "targets are stated for PostgreSQL with 2 workers" if (backend, workers) != ("postgres", 2) else ""
    return {"checks": checks, "note": note}


def render(result: dict) -> str:
    lines = [(f"# Workflow transitions: {result['backend']}, {result['workers']} worker(s), "
             f"{result['clients']} clients"), "",
             (f"{result['when']} on {result['machine']}; {result['setup']['issues']} issues in the workflow "
             f"'{WORKFLOW['name']}' (each transition: 1 condition, 5 validators, 3 post-functions); server started "
             f"by the script: {result['server_started']}"
             + (f"; the organization also holds {result['setup']['preloaded_issues']:,} issues from `tessera load`"
                if result["setup"].get("preloaded_issues") else "") + "."), "",
             ("| phase | clients | seconds | ok | per s | p50 ms | p95 ms | p99 ms | max ms | conflicts | errors | "
             "load gen CPU | load avg before/after |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    for name, phase in result["phases"].items():
        lines.append(f"| {name} | {phase['clients']} | {phase['seconds']} | {phase['ok']:,} | "
                     f"{phase['per_second']:,.1f} | {phase['p50_ms']} | {phase['p95_ms']} | {phase['p99_ms']} | "
                     f"{phase['max_ms']} | {phase['conflicts']} | {phase['errors'] or '-'} | "
                     f"{phase['load_generator_cpu_percent']:.0f}% | {phase['machine_load_average_1m'][0]} / "
                     f"{phase['machine_load_average_1m'][1]} |")
    lines += ["", "## Targets", "", "| check | target | measured | met |", "|---|---|---:|---|"]
    for name, check in result["verdicts"]["checks"].items():
        lines.append(f"| {name} | {check['target']} | {check['value']} | {'yes' if check['met'] else 'NO'} |")
    if result["verdicts"]["note"]:
        lines += ["", f"Note: {result['verdicts']['note']}."]
    if result.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="target a running server instead of starting one")
    parser.add_argument("--token", help="with --url: an API token of an organization admin")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench_transitions")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--issues", type=int, default=320, help="issues the clients transition")
    parser.add_argument("--preload", type=int, default=0,
                        help="first load this many issues into the organization (`tessera load`), so the "
                             "transitions run in an organization of that size")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of the transitions phase")
    parser.add_argument("--minimal-seconds", type=float, default=None,
                        help="seconds of the Prefer: return=minimal phase (default: --duration; 0 skips it)")
    parser.add_argument("--lookup-seconds", type=float, default=6.0, help="seconds of each lookup phase")
    parser.add_argument("--label", default=None, help="results file suffix (default: the backend)")
    parser.add_argument("--note", action="append", default=[], help="a line for the report")
    args = parser.parse_args()
    if args.issues < args.clients:
        parser.error("--issues must be at least --clients")
    if args.minimal_seconds is None:
        args.minimal_seconds = args.duration
    with target_server(args, parser) as (url, token):
        phases, setup = asyncio.run(measure(url, token, args))
    result = {"backend": args.backend, "workers": args.workers, "clients": args.clients,
              "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared by server and load generator)",
              "server_started": not args.url, "setup": setup, "phases": phases,
              "verdicts": verdicts(phases, args.backend, args.workers), "notes": args.note}
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = args.label or args.backend
    (RESULTS / f"transitions-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"transitions-{label}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
