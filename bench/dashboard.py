"""Dashboard data on a project of 100,000 issues (PostgreSQL): P50/P95 cold and warm.

    .venv/bin/python bench/dashboard.py                 # load, then measure
    .venv/bin/python bench/dashboard.py --skip-load     # reuse the database of the last run

Data: `tessera load --org DASH --issues 100000 --project WEB --sprints` (the command a user would
run: issues with their history, two-week sprints back to back over the two years the load spans,
planted with the Sprint field's history, on a Scrum board), plus NOISE, another organization of
--noise-issues, so tenancy filters have rows to skip. ANALYZE after loading.

A server (`tessera serve`, --workers) is started on that database; an admin of DASH creates a
dashboard with every gadget type over WEB, shared with the organization, and a member (not an
admin, who sees through the permission filter like most people; 40 open issues are assigned to
them first) reads it:

* cold: `GET /v2/dashboards/{id}/data?refresh=true`, every gadget recomputed (the cache bypassed);
* warm: the same without refresh, every gadget from the cache;
* after a change: an issue of WEB updated through the API, then the dashboard read: the first
  read after the change recomputes (the commit bumped the organization's data version);
* per gadget: a one-gadget dashboard per type, cold.

Then, in-process, one cold computation of the whole dashboard with every SQL statement timed;
the slowest are re-run under EXPLAIN (ANALYZE, BUFFERS) and their plans go into the .md.
Results: bench/results/dashboard.json and .md. The machine has 2 cores shared by the server,
the load generator and PostgreSQL (and, while this ran, other work): read the figures with that.
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
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import free_port, pg_admin, start_server, stop_server, tessera  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TARGETS = {"cold_p95_ms": 2000.0, "warm_p95_ms": 300.0}
PROJECT = "WEB"


def gadgets(board_id: int) -> list[dict]:
    web = f"project = {PROJECT}"
    return [
        {"type": "filter_results", "title": "Open, by priority", "config": {
            "jql": f"{web} AND statusCategory != Done ORDER BY priority DESC, updated DESC", "max_results": 20}},
        {"type": "pie_chart", "title": "By status", "config": {"jql": web, "field": "status"}},
        {"type": "two_dimensional", "title": "Assignee x status", "config": {
            "jql": web, "x_field": "status", "y_field": "assignee"}},
        {"type": "created_vs_resolved", "title": "Created vs resolved, 30 days", "config": {
            "jql": web, "period": "30d"}},
        {"type": "sprint_burndown", "title": "Burndown", "config": {"board_id": board_id}},
        {"type": "velocity", "title": "Velocity, 6 months", "config": {"board_id": board_id}},
        {"type": "activity_stream", "title": "Activity", "config": {"jql": web, "max_results": 20}},
        {"type": "assigned_to_me", "title": "Assigned to me", "config": {"max_results": 20}},
    ]


# -- loading ---------------------------------------------------------------------------------------

def load(url: str, issues: int, noise: int) -> dict:
    tessera("migrate", "--database-url", url)
    started = time.perf_counter()
    output = json.loads(tessera("load", "--org", "DASH", "--issues", str(issues), "--project", PROJECT, "--sprints",
                                "--database-url", url).strip().splitlines()[-1])
    seconds = round(time.perf_counter() - started, 1)
    print(f"loaded {issues:,} issues into DASH/{PROJECT} with sprints in {seconds} s", flush=True)
    if noise:
        tessera("load", "--org", "NOISE", "--issues", str(noise), "--database-url", url)
    asyncio.run(pg_admin(url, "VACUUM ANALYZE"))
    return {"issues": issues, "noise_issues": noise, "load_seconds": seconds, "sprints": output["sprints"][PROJECT]}


def user_token(url: str, role: str) -> str:
    email = f"bench-{role}-{int(time.time())}@dash.test"
    created = tessera("create-user", "--org", "DASH", "--email", email, "--name", f"Bench {role}", "--role", role,
                      "--json", "--database-url", url)
    return json.loads(created.strip().splitlines()[-1])["api_token"]


# -- measuring over HTTP ---------------------------------------------------------------------------

def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))], 1)


def stats(values: list[float]) -> dict:
    return {"runs": len(values), "p50_ms": pct(values, 0.5), "p95_ms": pct(values, 0.95),
            "max_ms": round(max(values), 1), "mean_ms": round(statistics.fmean(values), 1)}


def timed_get(client: httpx.Client, path: str, **params: object) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, response.json()


def measure_http(base: str, admin: str, member: str, args: argparse.Namespace) -> dict:
    as_admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}, timeout=120)
    as_member = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {member}"}, timeout=120)
    boards = as_admin.get("/v2/boards", params={"project_id": PROJECT}).json()["boards"]
    board_id = boards[0]["id"]
    body = {"name": "Web team", "shares": [{"type": "organization"}],
            "layout": {"columns": 2, "gadgets": gadgets(board_id)}}
    dashboard = as_admin.post("/v2/dashboards", json=body)
    dashboard.raise_for_status()
    path = f"/v2/dashboards/{dashboard.json()['id']}/data"
    member_id = as_member.get("/v2/myself").json()["id"]
    open_issues = as_admin.post("/v2/search", json={"jql": f"project = {PROJECT} AND statusCategory != Done",
                                                    "max_results": 40}).json()["issues"]
    for issue in open_issues:  # so that "assigned to me" has something to show
        as_admin.put(f"/v2/issues/{issue['id']}", json={"assignee_id": member_id}).raise_for_status()
    _, first = timed_get(as_member, path, refresh="true")
    errors = {g["id"]: g["error"] for g in first["gadgets"] if "error" in g}
    if errors:
        raise SystemExit(f"gadgets failed: {errors}")
    facts = {g["type"]: summarize(g) for g in first["gadgets"]}
    for _ in range(args.warmup):
        timed_get(as_member, path, refresh="true")
    cold = [timed_get(as_member, path, refresh="true")[0] for _ in range(args.cold_runs)]
    timed_get(as_member, path)
    warm = []
    for _ in range(args.warm_runs):
        elapsed, found = timed_get(as_member, path)
        assert all(g["cached"] for g in found["gadgets"]), "a warm read recomputed"
        warm.append(elapsed)
    issues = as_admin.post("/v2/search", json={"jql": f"project = {PROJECT} ORDER BY updated DESC",
                                               "max_results": args.change_runs}).json()["issues"]
    after_change = []
    for index, issue in enumerate(issues):
        summary = f"Benchmark change {index} at {time.time():.6f}"  # a real change: an unchanged one emits nothing
        as_admin.put(f"/v2/issues/{issue['id']}", json={"summary": summary}).raise_for_status()
        elapsed, found = timed_get(as_member, path)
        assert not any(g["cached"] for g in found["gadgets"]), "a read after a change came from the cache"
        after_change.append(elapsed)
    per_gadget = {}
    for spec in gadgets(board_id):
        single = as_admin.post("/v2/dashboards", json={"name": spec["type"], "shares": [{"type": "organization"}],
                                                       "layout": {"gadgets": [spec]}}).json()
        runs = [timed_get(as_member, f"/v2/dashboards/{single['id']}/data", refresh="true")[0]
                for _ in range(args.gadget_runs + 1)][1:]
        per_gadget[spec["type"]] = stats(runs)
    return {"dashboard_id": dashboard.json()["id"], "board_id": board_id, "gadget_facts": facts,
            "cold": stats(cold), "warm": stats(warm), "after_change": stats(after_change), "per_gadget": per_gadget}


def summarize(gadget: dict) -> str:
    data = gadget["data"]
    kind = gadget["type"]
    if kind in ("filter_results", "assigned_to_me"):
        return f"{data['total']:,} issues, {len(data['issues'])} shown"
    if kind == "pie_chart":
        return f"{data['total']:,} issues in {len(data['slices'])} slices"
    if kind == "two_dimensional":
        return f"{data['total']:,} issues, {len(data['rows'])} x {len(data['columns'])} cells"
    if kind == "created_vs_resolved":
        return f"{data['totals']['created']:,} created, {data['totals']['resolved']:,} resolved"
    if kind == "sprint_burndown":
        totals = data["totals"]
        return (f"{data['sprint']['name']}: {totals['committed_issues']:,} issues committed, "
                f"{len(data['remaining'])} points")
    if kind == "velocity":
        return f"{len(data['sprints'])} sprints, average {data['average']}"
    return f"{len(data['entries'])} entries"


# -- statements and plans (in-process) -------------------------------------------------------------

async def explain_slowest(url: str, dashboard_id: int, member_token: str, count: int) -> dict:
    from tessera.config import Settings
    from tessera.db.engine import Database
    from tessera.reports.dashboard_data import dashboard_data
    from tessera.reports.dashboards import access_dashboard
    from tessera.tenancy.auth import authenticate_token

    database = Database(Settings(database_url=url))
    timings: list[tuple[float, str, object]] = []
    starts: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        starts[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            timings.append(((time.perf_counter() - starts.pop(id(cursor), time.perf_counter())) * 1000, statement,
                            parameters))

    try:
        async with database.unit_of_work(write=False) as session:
            actor = await authenticate_token(session, member_token, touch=False)
            dashboard = await access_dashboard(session, actor, dashboard_id)
            await dashboard_data(session, actor=actor, dashboard=dashboard, cache=None, now=datetime.now(UTC))
            event.listen(database.read_engine.sync_engine, "before_cursor_execute", before)
            event.listen(database.read_engine.sync_engine, "after_cursor_execute", after)
            started = time.perf_counter()
            await dashboard_data(session, actor=actor, dashboard=dashboard, cache=None, now=datetime.now(UTC))
            total = (time.perf_counter() - started) * 1000
        slowest = sorted(timings, key=lambda t: -t[0])[:count]
        plans = []
        for elapsed, statement, parameters in slowest:
            async with database.unit_of_work(write=False) as session:
                connection = await session.connection()
                try:
                    rows = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
                    plan = "\n".join(row[0] for row in rows)
                except Exception as error:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
                    plan = f"(EXPLAIN failed: {type(error).__name__}: {str(error)[:300]})"
            plans.append({"ms": round(elapsed, 1), "statement": statement, "plan": plan})
        return {"in_process_ms": round(total, 1), "statements": len(timings),
                "sql_ms": round(sum(t[0] for t in timings), 1), "slowest": plans}
    finally:
        await database.dispose()


# -- reporting -------------------------------------------------------------------------------------

def verdicts(http: dict) -> dict:
    cold, warm = http["cold"]["p95_ms"], http["warm"]["p95_ms"]
    return {"cold_p95_ms": {"target": f"< {TARGETS['cold_p95_ms']:.0f}", "value": cold,
                            "met": cold < TARGETS["cold_p95_ms"]},
            "warm_p95_ms": {"target": f"< {TARGETS['warm_p95_ms']:.0f} (aim)", "value": warm,
                            "met": warm < TARGETS["warm_p95_ms"]}}


def render(result: dict) -> str:
    data, http = result["dataset"], result["http"]
    lines = [f"# Dashboard data: {data.get('issues', '?'):,} issues in one project (PostgreSQL)", "",
             f"{result['when']} on {result['machine']}; {result['server_version']}; `tessera serve --workers "
             f"{result['workers']}`, client on the same machine. Sprints: {data.get('sprints', {})}. "
             f"Noise organization: {data.get('noise_issues', 0):,} issues.", "",
             "A dashboard of 8 gadgets (every type) over the project, read by a member through "
             "`GET /v2/dashboards/{id}/data`:", "",
             "| phase | runs | P50 ms | P95 ms | max ms | mean ms |", "|---|---:|---:|---:|---:|---:|"]
    for phase, label in (("cold", "cold (`?refresh=true`, every gadget computed)"), ("warm", "warm (cache)"),
                         ("after_change", "first read after an issue change")):
        s = http[phase]
        lines.append(f"| {label} | {s['runs']} | {s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} | {s['mean_ms']} |")
    lines += ["", "## Targets", "", "| check | target | measured | met |", "|---|---|---:|---|"]
    for name, check in result["verdicts"].items():
        lines.append(f"| {name} | {check['target']} | {check['value']} | {'yes' if check['met'] else 'NO'} |")
    lines += ["", "## Per gadget (a one-gadget dashboard, cold)", "",
              "| gadget | what it computed | P50 ms | P95 ms |", "|---|---|---:|---:|"]
    for kind, s in http["per_gadget"].items():
        lines.append(f"| {kind} | {http['gadget_facts'].get(kind, '')} | {s['p50_ms']} | {s['p95_ms']} |")
    explained = result.get("explain")
    if explained:
        lines += ["", "## SQL of one cold computation (in-process)", "",
                  f"{explained['statements']} SELECT statements, {explained['sql_ms']} ms in the database driver, "
                  f"{explained['in_process_ms']} ms in all (the rest is Python: replaying history, rendering). "
                  "The slowest, re-run under EXPLAIN (ANALYZE, BUFFERS) with the same parameters:", ""]
        for entry in explained["slowest"]:
            lines += [f"### {entry['ms']} ms", "", "```sql", entry["statement"], "```", "", "```", entry["plan"], "```",
                      ""]
    if result.get("notes"):
        lines += ["## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--noise-issues", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cold-runs", type=int, default=20)
    parser.add_argument("--warm-runs", type=int, default=100)
    parser.add_argument("--change-runs", type=int, default=20)
    parser.add_argument("--gadget-runs", type=int, default=5)
    parser.add_argument("--explain", type=int, default=5, help="EXPLAIN the N slowest statements")
    parser.add_argument("--skip-load", action="store_true", help="reuse the database of the last run")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench_dashboard")
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args()
    url = f"{args.postgres_url.rsplit('/', 1)[0]}/{args.database_name}"
    previous = RESULTS / "dashboard.json"
    if args.skip_load:
        tessera("migrate", "--database-url", url)
        dataset = json.loads(previous.read_text()).get("dataset", {}) if previous.exists() else {}
    else:
        asyncio.run(pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{args.database_name}" WITH (FORCE)'))
        asyncio.run(pg_admin(args.postgres_url, f'CREATE DATABASE "{args.database_name}"'))
        dataset = load(url, args.issues, args.noise_issues)
    admin, member = user_token(url, "admin"), user_token(url, "member")
    tessera("set-limits", "DASH", "--requests-per-minute", "100000000", "--database-url", url)
    port = free_port()
    server = start_server(url, port, args.workers)
    try:
        http = measure_http(f"http://127.0.0.1:{port}", admin, member, args)
    finally:
        stop_server(server)
    explain = asyncio.run(explain_slowest(url, http["dashboard_id"], member, args.explain))

    async def version() -> str:
        import asyncpg
        connection = await asyncpg.connect(url)
        try:
            return "PostgreSQL " + await connection.fetchval("SHOW server_version")
        finally:
            await connection.close()

    result = {"dataset": dataset, "workers": args.workers, "http": http, "verdicts": verdicts(http),
              "explain": explain, "server_version": asyncio.run(version()),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}",
              "load_average_1m": round(os.getloadavg()[0], 2),
              "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "notes": args.note}
    RESULTS.mkdir(parents=True, exist_ok=True)
    previous.write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "dashboard.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
