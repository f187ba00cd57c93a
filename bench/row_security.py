"""The cost of PostgreSQL's row-level security (tessera/db/row_security.py), side by side in one
run: bench/api_load.py's mixed phase and bench/search.py's twelve searches, each measured with
the wall off and on, alternating so that drift on a shared machine falls on both sides alike
(API: a server per phase, off, on, off, on...; search: every timed run of a query back to back
in both modes). Target (issue 19): under 10% either way.

    .venv/bin/python bench/row_security.py                       # short: 100,000 issues, 8 s phases
    .venv/bin/python bench/row_security.py --rounds 3 --duration 15 --issues 1000000

"off" is TESSERA_DATABASE_ROW_SECURITY=off: the request's transaction runs as the owner role with
no setting, as before issue 19. Results: bench/results/row_security.json and .md
(row_security-api.* or row_security-search.* with --only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
import search  # noqa: E402

RESULTS = Path(__file__).parent / "results"
MODES = {"off": False, "on": True}


def api_rounds(args: argparse.Namespace) -> dict[str, list[dict]]:
    """One database and organization; a fresh server per round with the wall off or on."""
    texts = api_load.synthetic_texts()
    phases: dict[str, list[dict]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="tessera-bench-rls-") as directory:
        url = api_load.fresh_database("postgres", args.postgres_url, "tessera_bench_rls_api", directory)
        api_load.tessera("migrate", "--database-url", url)
        token = api_load.create_org(url, f"RLS{random.randrange(10**6)}")
        load = argparse.Namespace(clients=args.clients, warmup=args.warmup, duration=args.duration, requests=None,
                                  create_seconds=0, seed=1, mix=api_load.parse_mix("create=0.3,get=0.5,update=0.2"))
        for _ in range(args.rounds):
            for mode, on in MODES.items():
                os.environ["TESSERA_DATABASE_ROW_SECURITY"] = "on" if on else "off"
                server = api_load.start_server(url, api_load.free_port(), args.workers)
                port = server.args[server.args.index("--port") + 1]
                try:
                    measured = asyncio.run(api_load.measure(f"http://127.0.0.1:{port}", token, load, texts))
                finally:
                    api_load.stop_server(server)
                    os.environ.pop("TESSERA_DATABASE_ROW_SECURITY", None)
                phases[mode].append(measured["mixed"])
                mixed = measured["mixed"]
                print(f"api {mode:3}: {mixed['requests_per_second']:,.0f} req/s, p95 "
                      + ", ".join(f"{op} {s['p95_ms']} ms" for op, s in mixed["operations"].items()), flush=True)
    return phases


async def _search_side_by_side(url: str, runs: int, warmup: int) -> dict[str, list[dict]]:
    """Every timed run of a query is measured with the wall off and on back to back (in turn
    first), so the machine's drift between two runs falls on both modes alike; a round of all
    of one mode, then all of the other, drowned a 5% difference in a 30% swing."""
    from tessera.config import Settings
    from tessera.db.engine import Database
    from tessera.jql.search import search_issues

    databases = {mode: Database(Settings(database_url=url, database_row_security=on)) for mode, on in MODES.items()}
    try:
        actor = await search.bench_actor(databases["off"], "BIG")
        results: dict[str, list[dict]] = {mode: [] for mode in MODES}
        for query in search.QUERIES:
            timings: dict[str, list[float]] = {mode: [] for mode in MODES}
            for run in range(warmup + runs):
                order = list(MODES) if run % 2 == 0 else list(reversed(MODES))
                for mode in order:
                    started = time.perf_counter()
                    async with databases[mode].unit_of_work(write=False, organization_id=actor.organization_id) as session:
                        await search_issues(session, actor=actor, jql=query.jql, max_results=50,
                                            count_only=query.count_only)
                    if run >= warmup:
                        timings[mode].append((time.perf_counter() - started) * 1000)
            for mode, values in timings.items():
                results[mode].append({"name": query.name, "p50_ms": round(statistics.median(values), 1),
                                      "p95_ms": round(search.percentile(values, 0.95), 1)})
            print(f"search {query.name:32} P50 off {results['off'][-1]['p50_ms']:7.1f} ms, "
                  f"on {results['on'][-1]['p50_ms']:7.1f} ms", flush=True)
        return results
    finally:
        for database in databases.values():
            await database.dispose()


def search_rounds(args: argparse.Namespace) -> dict[str, list[dict]]:
    settings = argparse.Namespace(postgres_url=args.postgres_url, database_name="tessera_bench_rls_search",
                                  skip_load=args.skip_load, issues=args.issues, small_issues=args.small_issues,
                                  small_orgs=args.small_orgs)
    url, _ = search.prepare("postgres", settings)
    measured = asyncio.run(_search_side_by_side(url, args.search_runs, 2))
    return {mode: [{"queries": queries}] for mode, queries in measured.items()}


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def summarize(api: dict[str, list[dict]], searched: dict[str, list[dict]]) -> dict:
    summary: dict = {"api": {}, "search": {}}
    for mode, phases in api.items():
        operations = phases[0]["operations"]
        summary["api"][mode] = {
            "requests_per_second": _median([phase["requests_per_second"] for phase in phases]),
            **{f"{op}_p95_ms": _median([phase["operations"][op]["p95_ms"] for phase in phases]) for op in operations},
            **{f"{op}_p50_ms": _median([phase["operations"][op]["p50_ms"] for phase in phases]) for op in operations}}
    for mode, rounds in searched.items():
        names = [query["name"] for query in rounds[0]["queries"]]
        summary["search"][mode] = {name: {
            "p50_ms": _median([r["queries"][i]["p50_ms"] for r in rounds]),
            "p95_ms": _median([r["queries"][i]["p95_ms"] for r in rounds])} for i, name in enumerate(names)}
    ratios = {}
    if api:
        off, on = summary["api"]["off"], summary["api"]["on"]
        ratios["api_throughput_on_over_off"] = round(on["requests_per_second"] / off["requests_per_second"], 3)
        for key in off:
            if key.endswith("_ms"):
                ratios[f"api_{key}_on_over_off"] = round(on[key] / off[key], 3) if off[key] else None
    if searched:
        off_total = sum(q["p50_ms"] for q in summary["search"]["off"].values())
        on_total = sum(q["p50_ms"] for q in summary["search"]["on"].values())
        ratios["search_sum_of_p50_on_over_off"] = round(on_total / off_total, 3)
        off_p95 = sum(q["p95_ms"] for q in summary["search"]["off"].values())
        on_p95 = sum(q["p95_ms"] for q in summary["search"]["on"].values())
        ratios["search_sum_of_p95_on_over_off"] = round(on_p95 / off_p95, 3)
        ratios["search_worst_query_p50_on_over_off"] = max(
            round(summary["search"]["on"][name]["p50_ms"] / query["p50_ms"], 3)
            for name, query in summary["search"]["off"].items())
    summary["ratios"] = ratios
    return summary


def render(result: dict) -> str:
    summary, args = result["summary"], result["arguments"]
    lines = ["# Row-level security: cost on PostgreSQL (off vs on, alternating)", "",
             f"{result['when']} on {result['machine']}; API: {args['rounds']} round(s) of each mode, medians shown.", ""]
    if summary["api"]:
        lines += [f"## API load (bench/api_load.py mixed phase: {args['clients']} clients, {args['duration']} s, "
                  f"{args['workers']} worker(s))", "", "| measure | off | on | on/off |", "|---|---:|---:|---:|"]
        off, on = summary["api"]["off"], summary["api"]["on"]
        for key in off:
            ratio = on[key] / off[key] if off[key] else float("nan")
            lines.append(f"| {key} | {off[key]} | {on[key]} | {ratio:.3f} |")
        lines.append("")
    if summary["search"]:
        lines += [f"## Search (bench/search.py queries: {args['issues']:,} + {args['small_orgs']} x "
                  f"{args['small_issues']:,} issues, {args['search_runs']} timed runs each, off and on back to back)", "",
                  "| query | P50 off | P50 on | P95 off | P95 on |", "|---|---:|---:|---:|---:|"]
        for name, off_query in summary["search"]["off"].items():
            on_query = summary["search"]["on"][name]
            lines.append(f"| {name} | {off_query['p50_ms']} | {on_query['p50_ms']} | {off_query['p95_ms']} | "
                         f"{on_query['p95_ms']} |")
        lines.append("")
    lines += ["## Ratios (on / off; target < 1.10 for latency, > 0.90 for throughput)", ""]
    lines += [f"- {name}: {value}" for name, value in summary["ratios"].items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each mode, alternating")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of each API mixed phase")
    parser.add_argument("--warmup", type=int, default=200, help="issues created before each API phase")
    parser.add_argument("--issues", type=int, default=100_000, help="issues in the search's big organization")
    parser.add_argument("--small-issues", type=int, default=5_000)
    parser.add_argument("--small-orgs", type=int, default=4)
    parser.add_argument("--search-runs", type=int, default=20)
    parser.add_argument("--skip-load", action="store_true", help="reuse the search database of the previous run")
    parser.add_argument("--only", choices=("api", "search"), default=None)
    args = parser.parse_args()
    api = api_rounds(args) if args.only != "search" else {}
    searched = search_rounds(args) if args.only != "api" else {}
    result = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared by server, load generator and "
                         "other work)", "arguments": vars(args), "summary": summarize(api, searched),
              "api_phases": api, "search_rounds": searched}
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"row_security-{args.only}" if args.only else "row_security"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (RESULTS / f"{name}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
