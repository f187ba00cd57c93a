"""Replay the peer benchmark's Tessera queries on the database it loaded, against this build.

    /tmp/venv/bin/python bench/peer_queries.py --label after        # postgresql://…/peerbench, 2 workers
    /tmp/venv/bin/python bench/peer_queries.py --compare A.json B.json

../shared/bench-peers/run.sh loads 100,000 issues over HTTP (about 20 minutes) before it times
its five queries; this runs only the queries (tessera_bench.py's, the same JSON bodies, one
keep-alive httpx client as there) on that loaded database and its session file, so two builds
can be compared on the same data in minutes. Read-only but for the API token's last use.
Each row: median and P95 of --runs runs after 3 warm-ups, and the server's CPU per run
(`tessera serve` and its workers, from /proc). Results: bench/results/peer_queries-<label>.json
and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import issue_pages  # noqa: E402
from api_load import free_port, start_server, stop_server  # noqa: E402

RESULTS = Path(__file__).parent / "results"
FIELDS = ["summary", "status", "priority", "assignee", "components", "updated"]
OPEN_STATUSES = ("To Do", "In Progress")


def rows(client: httpx.Client, session: dict) -> list[tuple[str, object]]:
    """(name, call returning the rows it reports) for each of tessera_bench.py's queries."""
    def search(jql: str, size: int, start_at: int = 0) -> dict:
        response = client.post("/v2/search", json={"jql": jql, "fields": FIELDS, "start_at": start_at,
                                                    "max_results": size})
        if response.status_code != 200:
            raise SystemExit(f"/v2/search {jql!r}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()

    jql_a = session["query_a"]["jql"]
    jql_b = "priority IN (Highest, High) AND component = comp3 ORDER BY priority DESC"
    jira_a = f"/rest/api/2/search?jql={quote(jql_a)}&maxResults=50&fields={','.join(FIELDS)}"

    def every() -> int:
        seen, start_at, total = 0, 0, None
        while total is None or start_at < total:
            answer = search(jql_b, 1000, start_at)
            total, page = answer["total"], answer["issues"]
            if not page:
                break
            seen += len(page)
            start_at += len(page)
        return seen

    def get(path: str) -> int:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json().get("total", 1)

    return [("a: status + assignee, page of 50 (/v2/search)", lambda: search(jql_a, 50)["total"]),
            ("a: the same, /rest/api/2/search", lambda: get(jira_a)),
            ("b: priority IN + component, page of 100", lambda: search(jql_b, 100)["total"]),
            ("b: the same, all rows (pages of 1,000)", every),
            ('c: text ~ "timeout", page of 100', lambda: search('text ~ "timeout"', 100)["total"]),
            ("d: open issues counted by status", lambda: sum(search(f'status = "{s}"', 0)["total"]
                                                           for s in OPEN_STATUSES)),
            ("e: GET /v2/issues/{key}", lambda: get(f"/v2/issues/{session['mid_key']}"))]


def measure(base: str, session: dict, runs: int) -> list[dict]:
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {session['token']}",
                                                   "Accept": "application/json"}, timeout=60)
    measured = []
    with client:
        for name, call in rows(client, session):
            for _ in range(3):
                found = call()
            timings = []
            cpu_before = issue_pages.server_cpu_ms()
            for _ in range(runs):
                started = time.perf_counter()
                found = call()
                timings.append((time.perf_counter() - started) * 1000)
            cpu_after = issue_pages.server_cpu_ms()
            row = {"name": name, "rows": found, "median_ms": round(statistics.median(timings), 1),
                   "p95_ms": round(issue_pages.percentile(timings, 0.95), 1),
                   "server_cpu_ms": None if cpu_before is None or cpu_after is None
                   else round((cpu_after - cpu_before) / runs, 1)}
            print(f"{name:48} rows {found:>7,}  median {row['median_ms']:7.1f} ms  P95 {row['p95_ms']:7.1f} ms  "
                  f"server CPU {row['server_cpu_ms']} ms", flush=True)
            measured.append(row)
    return measured


def compare(paths: list[Path]) -> str:
    runs = [json.loads(path.read_text()) for path in paths]
    names = [run["label"] for run in runs]
    lines = [f"# Peer benchmark queries over HTTP: {' vs '.join(names)}", "",
             "bench/peer_queries.py on the peer benchmark's loaded database (median / P95 ms; server CPU ms "
             "per run; ratio = first / this):", ""]
    lines += [f"- {run['label']}: {run['when']}, load average {run['load_average_1m']} after the run" for run in runs]
    lines += ["", "| query | rows | " + " | ".join(f"{n} median / P95 | {n} CPU" for n in names)
              + "".join(f" | {n} ratio" for n in names[1:]) + " |",
              "|---|---:|" + "---:|" * (2 * len(names) + len(names) - 1)]
    for index, row in enumerate(runs[0]["rows"]):
        others = [run["rows"][index] for run in runs]
        cells = [f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} | {r['server_cpu_ms']}" for r in others]
        ratios = [f"{row['median_ms'] / max(r['median_ms'], 0.1):.2f}x" for r in others[1:]]
        lines.append(f"| {row['name']} | {row['rows']:,} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", nargs="+", type=Path, metavar="RESULT_JSON")
    parser.add_argument("--database-url", default="postgresql://root@127.0.0.1:5432/peerbench")
    parser.add_argument("--session", type=Path, default=Path("/tmp/peer-bench/tessera-session.json"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    if args.compare:
        print(compare(args.compare), end="")
        return
    session = json.loads(args.session.read_text())
    port = free_port()
    server = start_server(args.database_url, port, args.workers)
    issue_pages.SERVER_GROUP = server.pid
    try:
        measured = measure(f"http://127.0.0.1:{port}", session, args.runs)
    finally:
        stop_server(server)
    result = {"label": args.label, "rows": measured, "runs": args.runs, "workers": args.workers,
              "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "load_average_1m": round(os.getloadavg()[0], 2)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"peer_queries{'-' + args.label if args.label else ''}"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(compare([RESULTS / f"{name}.json"]))


if __name__ == "__main__":
    main()
