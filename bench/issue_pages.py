"""Time what a client gets over HTTP: search pages and single issues, at 100,000 issues.

    /tmp/venv/bin/python bench/issue_pages.py                        # PostgreSQL, 100,000 issues, 2 workers
    /tmp/venv/bin/python bench/issue_pages.py --backend sqlite       # SQLite, 1 worker
    /tmp/venv/bin/python bench/issue_pages.py --skip-load --label after   # same data, another build

bench/search.py times the matching ids and the count in-process; this times the responses:
`tessera load` (through bench/search.py's loader) fills BIG with --issues issues (plus one small
organization, so the tenancy filter has rows to skip), `tessera serve` starts (PostgreSQL:
--workers 2, SQLite: 1), and one keep-alive client (bench/fast_client.py) asks, one request at
a time, for:
- the peer benchmark's queries (/work/shared/bench-peers/tessera_bench.py) adapted to the
  loaded data, on `/v2/search` (POST) and `/rest/api/2/search` (GET) with the fields a list shows:
  status + assignee ORDER BY updated DESC (page of 50); priority IN + component ORDER BY
  priority DESC (page of 100, and paging by 1,000 through all its rows); full text (page of 100:
  "timeout", which the loaded vocabulary lacks, and "checkout", which it has); open issues
  counted by status (max_results 0 per open status);
- the web search page and a project's issue list (signed in with a session cookie);
- a single issue: `/rest/api/2/issue/KEY`, `/v2/issues/{id}` and the web issue page.
Each row: --warmup untimed runs, then --runs timed ones; P50/P95/max in ms.
Results: bench/results/issue_pages-<backend>-<issues>[-<label>].json and .md;
`--compare A.json B.json …` prints runs side by side with the ratios to the first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search as search_bench  # noqa: E402
from api_load import free_port, start_server, stop_server, tessera  # noqa: E402
from fast_client import FastClient, Response  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SQLITE_PATH = Path("/tmp/tessera-bench-pages/pages.db")
FIELDS = ["summary", "status", "priority", "assignee", "components", "updated"]  # as the peer benchmark
OPEN_STATUSES = ("To Do", "In Progress", "In Review")
# One component of each of six projects: about 2,300 High/Highest matches at 100,000 issues,
# the size of the peer benchmark's 2,445 (its issues all sit in one project).
COMPONENTS = ("Checkout", "Payments", "iOS", "Ingestion", "Kubernetes", "AppSec")
PASSWORD = "bench-pages-password"


def queries(assignee: str) -> dict[str, str]:
    names = ", ".join(f'"{name}"' for name in COMPONENTS)
    return {"a": f'status = "To Do" AND assignee = "{assignee}" ORDER BY updated DESC',
            "b": f"priority IN (Highest, High) AND component IN ({names}) ORDER BY priority DESC",
            "timeout": 'text ~ "timeout"', "checkout": 'text ~ "checkout"'}


# -- the client ------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    return search_bench.percentile(values, share)


def ok(response: Response, what: str) -> dict:
    if response.status_code != 200:
        raise SystemExit(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if response.content[:1] in (b"{", b"[") else {}


# The server's process group (its session: `tessera serve` and its workers), whose CPU time each
# row reports per request: on a shared machine the response times swing with the other load,
# the CPU a request costs the server much less.
SERVER_GROUP: int | None = None
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def server_cpu_ms() -> float | None:
    """User + system CPU of the server's processes so far (Linux /proc), None elsewhere."""
    if SERVER_GROUP is None or not Path("/proc").is_dir():
        return None
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == SERVER_GROUP:  # fields after the name: state, ppid, pgrp, …
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks * 1000 / _CLOCK_TICKS


async def timed(name: str, call: Callable[[], Awaitable[tuple[int, int]]], runs: int, warmup: int) -> dict:
    """`call` returns (rows the answer reports, bytes received)."""
    for _ in range(warmup):
        await call()
    timings, rows, size = [], 0, 0
    cpu_before = server_cpu_ms()
    for _ in range(runs):
        started = time.perf_counter()
        rows, size = await call()
        timings.append((time.perf_counter() - started) * 1000)
    cpu_after = server_cpu_ms()
    row = {"name": name, "rows": rows, "bytes": size, "p50_ms": round(statistics.median(timings), 1),
           "p95_ms": round(percentile(timings, 0.95), 1), "max_ms": round(max(timings), 1),
           "server_cpu_ms": None if cpu_before is None or cpu_after is None
           else round((cpu_after - cpu_before) / runs, 1)}
    print(f"{name:58} rows {rows:>7,}  P50 {row['p50_ms']:7.1f} ms  P95 {row['p95_ms']:7.1f} ms  "
          f"server CPU {row['server_cpu_ms']} ms", flush=True)
    return row


async def measure(base: str, token: str, cookie: str, assignee: str, runs: int, warmup: int) -> list[dict]:
    jql = queries(assignee)
    api = FastClient(base, headers={"Authorization": f"Bearer {token}"}, max_connections=1, timeout=300)
    web = FastClient(base, headers={"Cookie": f"tessera_session={cookie}"}, max_connections=1, timeout=300)
    async with api, web:
        async def v2(text: str, size: int, start_at: int = 0) -> dict:
            return ok(await api.post("/v2/search", json={"jql": text, "fields": FIELDS, "start_at": start_at,
                                                          "max_results": size}), f"/v2/search {text}")

        async def jira(text: str, size: int, start_at: int = 0) -> dict:
            return ok(await api.get("/rest/api/2/search", params={
                "jql": text, "startAt": start_at, "maxResults": size, "fields": ",".join(FIELDS)}),
                f"/rest/api/2/search {text}")

        def page(search: Callable[..., Awaitable[dict]], text: str, size: int) -> Callable[[], Awaitable[tuple]]:
            async def call() -> tuple[int, int]:
                answer = await search(text, size)
                return answer["total"], len(json.dumps(answer))
            return call

        def every(search: Callable[..., Awaitable[dict]], text: str) -> Callable[[], Awaitable[tuple]]:
            async def call() -> tuple[int, int]:
                seen, size, start_at, total = set(), 0, 0, None
                while total is None or start_at < total:
                    answer = await search(text, 1000, start_at)
                    total, issues = answer["total"], answer["issues"]
                    if not issues:
                        break
                    seen.update(issue["key"] for issue in issues)
                    size += len(json.dumps(answer))
                    start_at += len(issues)
                if len(seen) != total:  # paging must neither repeat nor skip an issue
                    raise SystemExit(f"paging through {text!r}: {len(seen)} distinct issues of {total}")
                return len(seen), size
            return call

        def counts(search: Callable[..., Awaitable[dict]]) -> Callable[[], Awaitable[tuple]]:
            async def call() -> tuple[int, int]:
                totals = [(await search(f'status = "{status}"', 0))["total"] for status in OPEN_STATUSES]
                return sum(totals), 0
            return call

        def get(client: FastClient, path: str, params: dict | None = None) -> Callable[[], Awaitable[tuple]]:
            async def call() -> tuple[int, int]:
                response = await client.get(path, params)
                ok(response, path)
                return 1, len(response.content)
            return call

        sample = await v2("project = WEB ORDER BY key ASC", 1, start_at=(await v2("project = WEB", 0))["total"] // 2)
        key, issue_id = sample["issues"][0]["key"], sample["issues"][0]["id"]
        if (await v2(jql["a"], 0))["total"] == 0:
            raise SystemExit(f"no issues match {jql['a']!r}: the assignee form is not understood")
        rows = []
        for label, search in (("/v2/search", v2), ("/rest/api/2/search", jira)):
            rows += [
                await timed(f"{label}: status + assignee, page of 50", page(search, jql["a"], 50), runs, warmup),
                await timed(f"{label}: priority IN + component, page of 100", page(search, jql["b"], 100), runs,
                            warmup),
                await timed(f"{label}: the same, all rows (pages of 1,000)", every(search, jql["b"]), runs, warmup),
                await timed(f'{label}: text ~ "timeout", page of 100', page(search, jql["timeout"], 100), runs,
                            warmup),
                await timed(f'{label}: text ~ "checkout", page of 100', page(search, jql["checkout"], 100), runs,
                            warmup),
                await timed(f"{label}: open issues counted by status", counts(search), runs, warmup)]
        rows += [
            await timed("web: /search, status + assignee (page of 25)", get(web, "/search", {"jql": jql["a"]}), runs,
                        warmup),
            await timed("web: /search, priority IN + component (page of 25)", get(web, "/search", {"jql": jql["b"]}),
                        runs, warmup),
            await timed("web: /projects/WEB issue list", get(web, "/projects/WEB"), runs, warmup),
            await timed(f"issue: /rest/api/2/issue/{key}", get(api, f"/rest/api/2/issue/{quote(key)}"), runs, warmup),
            await timed(f"issue: /v2/issues/{issue_id}", get(api, f"/v2/issues/{issue_id}"), runs, warmup),
            await timed(f"issue: web /browse/{key}", get(web, f"/browse/{quote(key)}"), runs, warmup)]
        return rows


# -- setting up ------------------------------------------------------------------------------------

def prepare(args: argparse.Namespace) -> tuple[str, dict]:
    """The loaded database, through bench/search.py's loader (one small organization beside BIG)."""
    search_bench.SQLITE_PATH = SQLITE_PATH
    loader = argparse.Namespace(postgres_url=args.postgres_url, database_name=args.database_name,
                                skip_load=args.skip_load, issues=args.issues, small_issues=args.small_issues,
                                sqlite_issues=args.issues, sqlite_small_issues=args.small_issues, small_orgs=1)
    return search_bench.prepare(args.backend, loader)


def sign_in(url: str, base: str) -> tuple[str, str, str]:
    """(API token, session cookie, an assignee's email) for a new administrator of BIG."""
    email = f"pages-{int(time.time())}@big.test"
    created = json.loads(tessera("create-user", "--org", "BIG", "--email", email, "--name", "Bench Pages", "--role",
                                 "admin", "--password", PASSWORD, "--json", "--database-url", url
                                 ).strip().splitlines()[-1])
    tessera("set-limits", "BIG", "--requests-per-minute", "100000000", "--searches-per-hour", "100000000",
            "--database-url", url)
    response = httpx.post(f"{base}/v2/session", json={"email": email, "password": PASSWORD, "organization": "BIG"})
    response.raise_for_status()
    token = created["api_token"]
    members = httpx.get(f"{base}/v2/users", params={"max_results": 100},
                        headers={"Authorization": f"Bearer {token}"}).json()
    members = members.get("users", members.get("items", members)) if isinstance(members, dict) else members
    assignee = next(m["email"] for m in members if m.get("role") == "member" and m.get("email"))
    return token, response.cookies["tessera_session"], assignee


def render(result: dict) -> str:
    lines = [f"# Issue pages over HTTP: {result['backend']}, {result['issues']:,} issues"
             f"{' (' + result['label'] + ')' if result['label'] else ''}", "",
             f"`tessera serve --workers {result['workers']}`; one keep-alive client, one request at a time, as "
             f"an administrator of BIG (every project); {result['warmup']} warm-up runs then {result['runs']} "
             f"timed runs per row. Fields asked for: {', '.join(FIELDS)}. {result['when']} on {result['machine']}.",
             "", "JQL: " + "; ".join(f"{name}: `{text}`" for name, text in result["jql"].items()), "",
             "| request | rows | bytes | P50 ms | P95 ms | max ms | server CPU ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in result["rows"]:
        cpu = row.get("server_cpu_ms")
        lines.append(f"| {row['name']} | {row['rows']:,} | {row['bytes']:,} | {row['p50_ms']:.1f} | "
                     f"{row['p95_ms']:.1f} | {row['max_ms']:.1f} | {'' if cpu is None else f'{cpu:.1f}'} |")
    return "\n".join(lines) + "\n"


def compare(paths: list[Path]) -> str:
    """Runs side by side (the first is the baseline), with each later run's P50 and P95 ratios
    to the first (> 1: that many times faster)."""
    runs = [json.loads(path.read_text()) for path in paths]
    names = [run["label"] or path.stem for run, path in zip(runs, paths, strict=True)]
    lines = [f"# Issue pages over HTTP: {runs[0]['backend']}, {runs[0]['issues']:,} issues, "
             f"{' vs '.join(names)}", "",
             "Runs of bench/issue_pages.py on the same data (P50 / P95 ms; ratio = baseline / this run; "
             "server CPU: ms of the server's processes' CPU per request, where recorded):", ""]
    lines += [f"- {name}: {run['when']}, machine load average {run.get('load_average_1m', '?')} after the run"
              for name, run in zip(names, runs, strict=True)]
    head = "| request | rows | " + " | ".join(f"{name} P50 / P95" for name in names)
    head += "".join(f" | {name} ratio P50 / P95" for name in names[1:])
    head += f" | server CPU ms ({' / '.join(names)})"
    lines += ["", head + " |", "|---|---:|" + "---:|" * (2 * len(names))]
    for index, row in enumerate(runs[0]["rows"]):
        others = [run["rows"][index] for run in runs]
        cells = [f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f}" for r in others]
        ratios = [f"{row['p50_ms'] / max(r['p50_ms'], 0.1):.2f}x / {row['p95_ms'] / max(r['p95_ms'], 0.1):.2f}x"
                  for r in others[1:]]
        cpus = [r.get("server_cpu_ms") for r in others]
        cpu_cells = [" / ".join("–" if cpu is None else f"{cpu:.1f}" for cpu in cpus)] if any(
            cpu is not None for cpu in cpus) else ["–"]
        lines.append(f"| {row['name']} | {row['rows']:,} | " + " | ".join(cells + ratios + cpu_cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", nargs="+", type=Path, metavar="RESULT_JSON",
                        help="print these runs side by side with ratios to the first (nothing is run)")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--small-issues", type=int, default=5_000, help="issues of the one other organization")
    parser.add_argument("--skip-load", action="store_true", help="reuse the database of the previous run")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="default: 2 on PostgreSQL, 1 on SQLite")
    parser.add_argument("--label", default="", help="a results-file suffix, e.g. before / after")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench_pages")
    args = parser.parse_args()
    if args.compare:
        print(compare(args.compare), end="")
        return
    workers = args.workers or (2 if args.backend == "postgres" else 1)
    url, facts = prepare(args)
    port = free_port()
    server = start_server(url, port, workers)
    global SERVER_GROUP
    SERVER_GROUP = server.pid  # started in a session of its own: its pid is the group's id
    try:
        base = f"http://127.0.0.1:{port}"
        token, cookie, assignee = sign_in(url, base)
        rows = asyncio.run(measure(base, token, cookie, assignee, args.runs, args.warmup))
    finally:
        stop_server(server)
    name = f"issue_pages-{args.backend}-{args.issues}{'-' + args.label if args.label else ''}"
    result = {"backend": args.backend, "issues": args.issues, "label": args.label, "workers": workers,
              "dataset": facts, "runs": args.runs, "warmup": args.warmup, "jql": queries(assignee), "rows": rows,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}",
              "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "load_average_1m": round(os.getloadavg()[0], 2)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
