"""Every web page's server time over HTTP, signed in, on the demo data and at 100,000 issues.

    /tmp/venv/bin/python bench/web_pages.py                          # PostgreSQL: demo, then 100,000 issues
    /tmp/venv/bin/python bench/web_pages.py --dataset demo --runs 20
    /tmp/venv/bin/python bench/web_pages.py --dataset 100k --skip-load   # reuse the loaded database

The pages are every GET route of the web application (found in the app's routes, as
tests/web/test_headers.py finds them, so a new page is measured without editing this script),
their path parameters filled with the organization's own things (a project, an issue in the
middle of it, a board, a dashboard, a group, schemes, a custom field, a webhook with a delivery,
a Git connection: made through the API where the data has none). Two datasets, each in its own
PostgreSQL database:
- demo: `tessera demo` (the demo organization, 300 issues);
- 100k: `tessera load` of 100,000 issues into BIG plus one small organization, through
  bench/search.py's loader (as bench/issue_pages.py loads them).
`tessera serve --workers 2` serves; one keep-alive client (bench/fast_client.py) signed in as a
new administrator asks for each page --warmup times untimed, then --runs times, one request at a
time, and checks the answer is a rendered HTML page (200). Targets: P95 < 100 ms on the demo
data, < 300 ms at 100,000 issues. Results: bench/results/web_pages-<dataset>.json and .md,
pages that miss the target first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search as search_bench  # noqa: E402
from api_load import free_port, pg_admin, start_server, stop_server, tessera  # noqa: E402
from fast_client import FastClient  # noqa: E402

RESULTS = Path(__file__).parent / "results"
PASSWORD = "bench-web-pages-password"
TARGETS_MS = {"demo": 100.0, "100k": 300.0}
PARAM = re.compile(r"\{(\w+)\}")
# Pages a signed-in administrator is not meant to open: the invitation form (signed out, by a
# one-time secret) and the sign-in page itself answer something else, by design.
NOT_SIGNED_IN = {"/invite/{secret}", "/signin"}


def html_routes() -> list[str]:
    """The GET routes of the web application (tessera.web's WebRoutes), sorted."""
    from tessera.config import Settings
    from tessera.main import create_app
    from tessera.web.errors import WebRoute

    def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
        for route in routes:
            if getattr(route, "methods", None) and getattr(route, "path", None) is not None:
                yield prefix + route.path, route
            original = getattr(route, "original_router", None)
            if original is not None:
                context = getattr(route, "include_context", None)
                yield from walk(original.routes, prefix + (getattr(context, "prefix", "") or ""))

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    return sorted({path for path, route in walk(list(app.routes))
                   if "GET" in route.methods and isinstance(route, WebRoute)} - NOT_SIGNED_IN)


# -- the data --------------------------------------------------------------------------------------

def prepare(args: argparse.Namespace, dataset: str) -> tuple[str, str, dict]:
    """(database URL, organization key, facts) of the dataset, loaded unless --skip-load."""
    base = args.postgres_url
    if dataset == "100k":
        loader = argparse.Namespace(postgres_url=base, database_name=f"{args.database_name}_100k",
                                    skip_load=args.skip_load, issues=args.issues, small_issues=5_000,
                                    sqlite_issues=args.issues, sqlite_small_issues=5_000, small_orgs=1)
        url, facts = search_bench.prepare("postgres", loader)
        return url, "BIG", facts
    name = f"{args.database_name}_demo"
    url = f"{base.rsplit('/', 1)[0]}/{name}"
    if not args.skip_load:
        asyncio.run(pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(pg_admin(base, f'CREATE DATABASE "{name}"'))
    tessera("migrate", "--database-url", url)
    created = json.loads(tessera("demo", "--org", "DEMO", "--json", "--database-url", url).strip().splitlines()[-1])
    asyncio.run(pg_admin(url, "VACUUM ANALYZE"))
    return url, "DEMO", {"demo_issues": created.get("issue_count")}


def sign_in(url: str, base: str, org: str) -> tuple[str, str]:
    """(API token, session cookie) of a new administrator of `org`, without rate limits."""
    email = f"web-pages-{int(time.time())}@{org.lower()}.test"
    created = json.loads(tessera("create-user", "--org", org, "--email", email, "--name", "Bench Web Pages", "--role",
                                 "admin", "--password", PASSWORD, "--json", "--database-url", url
                                 ).strip().splitlines()[-1])
    tessera("set-limits", org, "--requests-per-minute", "100000000", "--searches-per-hour", "100000000",
            "--database-url", url)
    response = httpx.post(f"{base}/v2/session", json={"email": email, "password": PASSWORD, "organization": org})
    response.raise_for_status()
    return created["api_token"], response.cookies["tessera_session"]


def values(base: str, token: str, cookie: str) -> dict[str, str]:
    """A value for every path parameter, from the organization's own data (made when missing)."""
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    web = httpx.Client(base_url=base, cookies={"tessera_session": cookie}, timeout=120)

    def first(path: str, key: str) -> dict | None:
        answer = api.get(path).json()
        return (answer.get(key) or [None])[0]

    with api, web:
        projects = api.get("/v2/projects").json()["projects"]
        if not projects:
            raise SystemExit("the organization has no project")

        def count(key: str) -> int:
            return int(api.post("/v2/search", json={"jql": f"project = {key}", "max_results": 0}).json()["total"])

        # The biggest project: its pages are the slowest ones a person opens.
        total, project = max(((count(p["key"]), p) for p in projects), key=lambda pair: pair[0])
        issue = api.post("/v2/search", json={"jql": f"project = {project['key']} ORDER BY key ASC",
                                             "start_at": total // 2, "max_results": 1}).json()["issues"][0]
        comment = api.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Timed by bench/web_pages.py"}).json()
        board = first("/v2/boards", "boards") or api.post("/v2/boards", json={
            "name": "Bench", "type": "scrum", "project_id": project["id"]}).json()
        dashboard = first("/v2/dashboards", "dashboards") or api.post("/v2/dashboards", json={
            "name": "Bench", "layout": {"columns": 1, "gadgets": []}}).json()
        webhook = first("/v2/webhooks", "webhooks") or api.post("/v2/webhooks", json={
            "name": "Bench", "url": "https://bench.example.test/hook", "events": []}).json()
        api.post(f"/v2/webhooks/{webhook['id']}/test")
        delivery = api.get("/v2/deliveries", params={"target_id": webhook["id"]}).json()["deliveries"][0]
        git = first("/v2/integrations/git", "connections") or api.post(
            "/v2/integrations/git", json={"provider": "github", "name": "Bench"}).json()
        page = web.get("/admin/groups")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        group = re.search(r'href="/admin/groups/(\d+)"', page.text)
        if group is None and csrf is not None:
            made = web.post("/admin/groups", data={"csrf_token": csrf.group(1), "name": "Bench group"},
                            follow_redirects=False)
            group_id = made.headers["location"].rsplit("/", 1)[1]
        else:
            group_id = group.group(1) if group else "0"
        scheme = api.get("/v2/permission-schemes").json()["permission_schemes"][0]
        workflow_scheme = api.get("/v2/workflow-schemes").json()["workflow_schemes"][0]
        field = next(f for f in api.get("/v2/fields").json()["fields"] if f["custom"])
        security = first("/v2/issue-security-schemes", "issue_security_schemes") or api.post(
            "/v2/issue-security-schemes", json={"name": "Bench", "levels": [{"name": "Staff"}]}).json()
    return {"project_key": project["key"], "key": project["key"], "issue_key": issue["key"],
            "comment_id": str(comment["id"]), "field": "summary", "board_id": str(board["id"]),
            "dashboard_id": str(dashboard["id"]), "dashboard_ref": str(dashboard["id"]),
            "webhook_id": str(webhook["id"]), "delivery_id": str(delivery["id"]), "connection_id": str(git["id"]),
            "group_id": group_id, "workflow_ref": "default", "scheme_id": str(scheme["id"]),
            "workflow_scheme_id": str(workflow_scheme["id"]), "custom_field_id": str(field["numeric_id"]),
            "security_scheme_id": str(security["id"])}


# -- measuring -------------------------------------------------------------------------------------

async def measure(base: str, cookie: str, pages: list[str], filled: dict[str, str], runs: int, warmup: int,
                  target: float) -> list[dict]:
    rows = []
    async with FastClient(base, headers={"Cookie": f"tessera_session={cookie}", "Accept": "text/html"},
                          max_connections=1, timeout=300) as client:
        for template in pages:
            missing = [name for name in PARAM.findall(template) if name not in filled]
            if missing:
                rows.append({"page": template, "url": None, "status": None, "note": f"no value for {missing}"})
                print(f"{template:60} skipped: no value for {missing}", flush=True)
                continue
            url = PARAM.sub(lambda m: filled[m.group(1)], template)
            timings, status, size = [], 0, 0
            for run in range(warmup + runs):
                started = time.perf_counter()
                response = await client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                status, size = response.status_code, len(response.content)
                if status != 200:
                    break
                if run >= warmup:
                    timings.append(elapsed)
            if status != 200:
                rows.append({"page": template, "url": url, "status": status, "note": response.text[:200]})
                print(f"{template:60} HTTP {status}", flush=True)
                continue
            row = {"page": template, "url": url, "status": status, "bytes": size,
                   "p50_ms": round(statistics.median(timings), 1),
                   "p95_ms": round(search_bench.percentile(timings, 0.95), 1), "max_ms": round(max(timings), 1)}
            row["meets_target"] = row["p95_ms"] < target
            print(f"{template:60} P50 {row['p50_ms']:7.1f}  P95 {row['p95_ms']:7.1f}  "
                  f"{'ok' if row['meets_target'] else 'MISSES'}  {size:,} B", flush=True)
            rows.append(row)
    return rows


def render(result: dict) -> str:
    timed = [r for r in result["rows"] if "p95_ms" in r]
    misses = sorted((r for r in timed if not r["meets_target"]), key=lambda r: -r["p95_ms"])
    failed = [r for r in result["rows"] if "p95_ms" not in r]
    lines = [f"# Web pages over HTTP: {result['dataset']} ({result['issues_note']})", "",
             f"PostgreSQL, `tessera serve --workers {result['workers']}`; one keep-alive client signed in as an "
             f"administrator (a session cookie), one request at a time; {result['warmup']} warm-up then "
             f"{result['runs']} timed requests per page. Target: P95 < {result['target_ms']:.0f} ms. "
             f"{result['when']} on {result['machine']}; load average {result['load_average_1m']} after the run.", "",
             f"{len(timed)} pages timed, {len(misses)} miss the target, {len(failed)} not timed.", "",
             "| page | URL | bytes | P50 ms | P95 ms | max ms | target |", "|---|---|---:|---:|---:|---:|---|"]
    for row in misses + [r for r in timed if r["meets_target"]]:
        lines.append(f"| `{row['page']}` | `{row['url']}` | {row['bytes']:,} | {row['p50_ms']:.1f} | "
                     f"{row['p95_ms']:.1f} | {row['max_ms']:.1f} | {'ok' if row['meets_target'] else '**misses**'} |")
    for row in failed:
        lines.append(f"| `{row['page']}` | `{row['url']}` | | | | | not timed: {row.get('status')} "
                     f"{str(row.get('note', ''))[:80]} |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, dataset: str, pages: list[str]) -> dict:
    url, org, facts = prepare(args, dataset)
    port = free_port()
    server = start_server(url, port, args.workers, ready_within=300)  # a shared, busy machine starts slowly
    try:
        base = f"http://127.0.0.1:{port}"
        token, cookie = sign_in(url, base, org)
        filled = values(base, token, cookie)
        target = TARGETS_MS[dataset]
        rows = asyncio.run(measure(base, cookie, pages, filled, args.runs, args.warmup, target))
    finally:
        stop_server(server)
    result = {"dataset": dataset, "organization": org, "facts": facts, "workers": args.workers,
              "issues_note": "the demo organization" if dataset == "demo" else f"{args.issues:,} issues in BIG",
              "target_ms": target, "runs": args.runs, "warmup": args.warmup, "rows": rows,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}",
              "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "load_average_1m": round(os.getloadavg()[0], 2)}
    name = f"web_pages-{dataset}{'-' + args.label if args.label else ''}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(render(result))
    print(render(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=("demo", "100k", "both"), default="both")
    parser.add_argument("--issues", type=int, default=100_000, help="issues of BIG in the 100k dataset")
    parser.add_argument("--skip-load", action="store_true", help="reuse the databases of the previous run")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="time only the pages whose route contains this text")
    parser.add_argument("--label", default="", help="a results-file suffix, e.g. before / after")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench_web")
    args = parser.parse_args()
    pages = [page for page in html_routes() if args.only in page]
    for dataset in (("demo", "100k") if args.dataset == "both" else (args.dataset,)):
        run(args, dataset, pages)


if __name__ == "__main__":
    main()
