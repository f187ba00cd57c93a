"""Noisy neighbour: does one organization flooding the API at its rate limit slow another down?

    .venv/bin/python bench/noisy_neighbour.py                     # PostgreSQL, 1 worker, 10 s phases
    .venv/bin/python bench/noisy_neighbour.py --backend sqlite --duration 20 --rounds 3

A fresh server on a fresh database (traffic only to 127.0.0.1) with two organizations:
- QUIET, the one measured: --quiet-rate requests per second, paced (an open loop: a request
  leaves on schedule whether or not the last one answered, as independent users would), 80%
  single-issue GETs and 20% JQL searches over its issues.
- FLOOD: its rate limit set to --flood-limit requests per minute (`tessera set-limits`), and
  --flood-clients connections sending GETs back to back, from a separate process, so that it is
  always at its limit: what passes is served, the rest is refused with 429.

Phases alternate, "alone" (QUIET only) and "flooded" (QUIET while FLOOD runs), --rounds times
each, so drift on a shared machine falls on both. The figure is QUIET's P95 flooded over alone
(median of the rounds); target (issue 19): < 1.2. Results: bench/results/noisy_neighbour-<backend>.json/.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_load  # noqa: E402
from fast_client import ERRORS as CLIENT_ERRORS  # noqa: E402
from fast_client import FastClient  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TARGET_RATIO = 1.2
SEARCHES = ("project = QN ORDER BY created DESC", 'project = QN AND priority = High', "text ~ \"checkout\"")


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)


async def _seed(url: str, token: str, key: str, issues: int) -> list[int]:
    async with FastClient(url, headers={"Authorization": f"Bearer {token}"}, max_connections=8) as client:
        project = await client.post("/v2/projects", json={"key": key, "name": f"Noisy {key}"})
        if project.status_code not in (201, 409):
            raise SystemExit(f"creating project {key}: {project.status_code} {project.text}")
        texts = api_load.synthetic_texts(issues)

        async def create(index: int) -> int:
            summary, description = texts[index % len(texts)]
            created = await client.post("/v2/issues", json={"project_id": key, "issue_type": "Task",
                                                            "summary": summary, "description": description})
            if created.status_code != 201:
                raise SystemExit(f"creating an issue: {created.status_code} {created.text}")
            return int(created.json()["id"])

        ids: list[int] = []
        for start in range(0, issues, 8):
            ids += await asyncio.gather(*(create(i) for i in range(start, min(issues, start + 8))))
        return ids


async def _quiet(url: str, token: str, ids: list[int], *, rate: float, seconds: float) -> dict:
    """Paced requests of QUIET; latency of each, by kind."""
    latencies: dict[str, list[float]] = {"get": [], "search": []}
    errors: dict[str, int] = {}
    rng = random.Random(7)
    async with FastClient(url, headers={"Authorization": f"Bearer {token}"}, max_connections=64) as client:
        async def one(kind: str) -> None:
            started = time.perf_counter()
            try:
                if kind == "get":
                    response = await client.get(f"/v2/issues/{rng.choice(ids)}")
                else:
                    response = await client.post("/v2/search", json={"jql": rng.choice(SEARCHES), "max_results": 20})
            except CLIENT_ERRORS as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                return
            if response.status_code == 200:
                latencies[kind].append(time.perf_counter() - started)
            else:
                errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1

        tasks = []
        began = time.perf_counter()
        sent = 0
        while (now := time.perf_counter()) - began < seconds:
            due = began + sent / rate
            if due > now:
                await asyncio.sleep(due - now)
            tasks.append(asyncio.create_task(one("search" if rng.random() < 0.2 else "get")))
            sent += 1
        await asyncio.gather(*tasks)
    every = latencies["get"] + latencies["search"]
    return {"sent": sent, "ok": len(every), "errors": errors, "p50_ms": _percentile(every, 0.5),
            "p95_ms": _percentile(every, 0.95), "p99_ms": _percentile(every, 0.99),
            "get_p95_ms": _percentile(latencies["get"], 0.95), "search_p95_ms": _percentile(latencies["search"], 0.95)}


async def _flood(url: str, token: str, issue_id: int, clients: int, seconds: float) -> dict:
    counts: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    async with FastClient(url, headers={"Authorization": f"Bearer {token}"}, max_connections=clients) as client:
        async def loop() -> None:
            while time.perf_counter() < deadline:
                try:
                    status = str((await client.get(f"/v2/issues/{issue_id}")).status_code)
                except CLIENT_ERRORS as error:
                    status = type(error).__name__
                counts[status] = counts.get(status, 0) + 1

        await asyncio.gather(*(loop() for _ in range(clients)))
    return {status: round(count / seconds, 1) for status, count in sorted(counts.items())}


def _flood_process(url: str, token: str, issue_id: int, clients: int, seconds: float, out: multiprocessing.Queue) -> None:
    out.put(asyncio.run(_flood(url, token, issue_id, clients, seconds)))


def run(url: str, quiet_token: str, flood_token: str, args: argparse.Namespace) -> dict:
    quiet_ids = asyncio.run(_seed(url, quiet_token, "QN", args.issues))
    flood_ids = asyncio.run(_seed(url, flood_token, "FN", 8))
    asyncio.run(_quiet(url, quiet_token, quiet_ids, rate=args.quiet_rate, seconds=2))  # warm caches and pools
    phases: dict[str, list[dict]] = {"alone": [], "flooded": []}
    for _ in range(args.rounds):
        phases["alone"].append(asyncio.run(_quiet(url, quiet_token, quiet_ids, rate=args.quiet_rate,
                                                  seconds=args.duration)))
        out: multiprocessing.Queue = multiprocessing.Queue()
        flooder = multiprocessing.Process(target=_flood_process, args=(url, flood_token, flood_ids[0],
                                                                       args.flood_clients, args.duration + 2, out))
        flooder.start()
        time.sleep(1.0)  # the flood is under way before QUIET's phase starts
        flooded = asyncio.run(_quiet(url, quiet_token, quiet_ids, rate=args.quiet_rate, seconds=args.duration))
        flooded["flood_per_second_by_status"] = out.get(timeout=args.duration + 60)
        flooder.join()
        phases["flooded"].append(flooded)
        print(f"alone p95 {phases['alone'][-1]['p95_ms']} ms, flooded p95 {flooded['p95_ms']} ms, "
              f"flood {flooded['flood_per_second_by_status']} per s", flush=True)
    alone = round(statistics.median(phase["p95_ms"] for phase in phases["alone"]), 2)
    flooded_p95 = round(statistics.median(phase["p95_ms"] for phase in phases["flooded"]), 2)
    ratio = round(flooded_p95 / alone, 3) if alone else None
    return {"phases": phases, "quiet_p95_alone_ms": alone, "quiet_p95_flooded_ms": flooded_p95,
            "ratio": ratio, "target": f"< {TARGET_RATIO}", "met": ratio is not None and ratio < TARGET_RATIO}


def render(result: dict) -> str:
    args = result["arguments"]
    lines = [f"# Noisy neighbour: {args['backend']}, {args['workers']} worker(s)", "",
             f"{result['when']} on {result['machine']}.", "",
             f"QUIET: {args['quiet_rate']} requests/s paced (80% GET issue, 20% search) over {args['issues']} issues. "
             f"FLOOD: {args['flood_clients']} connections back to back, rate limit {args['flood_limit']} "
             f"requests/min. {args['rounds']} round(s) of {args['duration']} s per phase, alternating.", "",
             "| round | phase | QUIET ok | P50 ms | P95 ms | P99 ms | GET P95 | search P95 | QUIET errors | "
             "FLOOD per s by status |", "|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for index in range(len(result["phases"]["alone"])):
        for name in ("alone", "flooded"):
            phase = result["phases"][name][index]
            lines.append(f"| {index + 1} | {name} | {phase['ok']} | {phase['p50_ms']} | {phase['p95_ms']} | "
                         f"{phase['p99_ms']} | {phase['get_p95_ms']} | {phase['search_p95_ms']} | "
                         f"{phase['errors'] or '-'} | {phase.get('flood_per_second_by_status', '-')} |")
    lines += ["", f"QUIET P95 alone {result['quiet_p95_alone_ms']} ms, flooded {result['quiet_p95_flooded_ms']} ms: "
              f"ratio **{result['ratio']}** (target {result['target']}: {'met' if result['met'] else 'NOT met'})."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each phase")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--issues", type=int, default=200, help="QUIET's issues")
    parser.add_argument("--quiet-rate", type=float, default=10.0, help="QUIET's requests per second")
    parser.add_argument("--flood-clients", type=int, default=8)
    parser.add_argument("--flood-limit", type=int, default=600, help="FLOOD's requests per minute")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tessera-bench-noisy-") as directory:
        database_url = api_load.fresh_database(args.backend, args.postgres_url, "tessera_bench_noisy", directory)
        api_load.tessera("migrate", "--database-url", database_url)
        quiet_token = api_load.create_org(database_url, f"QUIET{random.randrange(10**6)}")
        flood_key = f"FLOOD{random.randrange(10**6)}"
        flood_token = api_load.create_org(database_url, flood_key)
        api_load.tessera("set-limits", flood_key, "--requests-per-minute", str(args.flood_limit),
                         "--database-url", database_url)
        server = api_load.start_server(database_url, port := api_load.free_port(), args.workers)
        try:
            measured = run(f"http://127.0.0.1:{port}", quiet_token, flood_token, args)
        finally:
            api_load.stop_server(server)
    result = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared by server, both load generators and "
                         "other work)", "arguments": vars(args), **measured}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"noisy_neighbour-{args.backend}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"noisy_neighbour-{args.backend}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
