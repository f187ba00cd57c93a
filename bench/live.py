"""Live updates under load: delivery delay from a REST change to every WebSocket client watching
the issue, with the clients spread over two server processes that share Redis.

    .venv/bin/python bench/live.py --backend postgres --clients 1000 --issues 50 --writes 600 --rate 20

Set-up: a fresh database (PostgreSQL by default), two `tessera serve` processes on two ports
(one process each) with the same Redis and a channel prefix of the run, an organization with
--users members, one project with --issues issues. Clients: --client-processes processes (not
the servers'), each holding its share of the --clients aiohttp WebSocket connections; client k
watches issue k mod --issues on server k mod 2, as user k mod --users. Writer: --writers loops in this
process (each owning its share of the issues, so no two race on one) PUT a new summary at --rate
writes/s in all, alternating the two servers, and note when each response arrived.

Delay = the moment a client received the `issue_updated` message minus the moment the writer got
the REST response (CLOCK_MONOTONIC is one clock for every process on the machine). A message can
arrive before the response (the event leaves right after COMMIT, while the response is still
being built); those count as 0 and are reported. Expected messages = for every write, every
client watching that issue; "lost" is what never arrived, "duplicates" what arrived twice.

Server start, organization and rate limits come from bench/api_load.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).parent))
from api_load import (  # noqa: E402 - a sibling script, not a package
    TESSERA,
    create_org,
    free_port,
    fresh_database,
    stop_server,
    tessera,
)

RESULTS = Path(__file__).parent / "results"
TARGETS = {"delivery_p95_ms": 50.0, "delivery_p99_ms": 100.0, "lost": 0}


def percentile(ordered: list[float], p: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2) if ordered else 0.0


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"count": len(ordered), "p50_ms": percentile(ordered, 50), "p95_ms": percentile(ordered, 95),
            "p99_ms": percentile(ordered, 99), "max_ms": round(ordered[-1] * 1000, 2) if ordered else 0.0,
            "mean_ms": round(sum(ordered) / len(ordered) * 1000, 2) if ordered else 0.0}


# -- servers ---------------------------------------------------------------------------------------

def start_live_server(database_url: str, redis_url: str, prefix: str) -> tuple[str, subprocess.Popen]:
    port = free_port()
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING", "TESSERA_LIVE_CHANNEL_PREFIX": prefix}
    process = subprocess.Popen([str(TESSERA), "serve", "--port", str(port), "--database-url", database_url,
                                "--redis-url", redis_url], env=environment, start_new_session=True,
                               stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(process)
    raise SystemExit("the server did not become healthy within 60 s")


@contextmanager
def two_servers(args: argparse.Namespace) -> Iterator[tuple[list[str], str]]:
    """([url A, url B], admin token) on a fresh database, stopped when the block ends."""
    prefix = f"tessera-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as directory:
        database_url = fresh_database(args.backend, args.postgres_url, args.database_name, directory)
        tessera("migrate", "--database-url", database_url)
        token = create_org(database_url)
        servers = []
        try:
            for _ in range(2):
                servers.append(start_live_server(database_url, args.redis_url, prefix))
            yield [url for url, _ in servers], token
        finally:
            for _, process in servers:
                stop_server(process)


# -- clients (separate processes) ------------------------------------------------------------------

def client_process(plan: list[tuple[str, int, str]], ready: multiprocessing.Queue, stop: multiprocessing.Event,
                   results: multiprocessing.Queue) -> None:
    """Holds one WebSocket per (ws url, issue id, token) in `plan`; reports what each received."""
    asyncio.run(_clients(plan, ready, stop, results))


async def _clients(plan: list[tuple[str, int, str]], ready: multiprocessing.Queue, stop: multiprocessing.Event,
                   results: multiprocessing.Queue) -> None:
    received: list[tuple[int, int, int, float]] = []  # (client, issue id, version, monotonic time)
    failures: list[str] = []
    gate = asyncio.Semaphore(50)  # connect in waves, as browsers reconnecting after a deploy would not
    connected = asyncio.Event()
    opened = 0
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)

    async def one(index: int, url: str, token: str, session: aiohttp.ClientSession) -> None:
        nonlocal opened
        try:
            async with gate:
                ws = await session.ws_connect(url, headers={"Authorization": f"Bearer {token}"}, heartbeat=None,
                                              max_msg_size=0)
            opened += 1
            if opened == len(plan):
                connected.set()
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                now = time.monotonic()
                data = json.loads(message.data)
                if data["type"] == "issue_updated":
                    received.append((index, data["data"]["issue_id"], data["data"]["version"], now))
            if not stop.is_set():
                failures.append(f"client {index}: closed {ws.close_code}")
        except Exception as error:  # noqa: BLE001 - reported, not fatal
            failures.append(f"client {index}: {error!r}")
            opened += 1
            if opened == len(plan):
                connected.set()

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(one(index, url, token, session)) for index, (url, _, token) in enumerate(plan)]
        await connected.wait()
        ready.put(len(plan) - len(failures))
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    results.put({"received": received, "failures": failures[:20], "failure_count": len(failures),
                 "cpu_seconds": round(cpu, 2)})


# -- the run ---------------------------------------------------------------------------------------

async def set_up(urls: list[str], token: str, args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=urls[0], headers=headers, timeout=30) as http:
        response = await http.post("/v2/projects", json={"key": "LIVE", "name": "Live bench"})
        assert response.status_code == 201, response.text
        issues = []
        for n in range(args.issues):
            response = await http.post("/v2/issues", json={"project_id": "LIVE", "issue_type": "Task",
                                                           "summary": f"Watched issue {n}"})
            assert response.status_code == 201, response.text
            issues.append(response.json())
        tokens = []
        for n in range(args.users):
            response = await http.post("/v2/users", json={"email": f"watcher{n}@live.bench", "name": f"Watcher {n}",
                                                          "role": "member"})
            assert response.status_code == 201, response.text
            tokens.append(response.json()["api_token"])
    return issues, tokens


async def write(urls: list[str], token: str, issues: list[dict], args: argparse.Namespace) -> dict:
    """Returns {(issue id, version): (request sent, response received)} and the REST latencies."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    answered: dict[tuple[int, int], tuple[float, float]] = {}  # (request sent, response received)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    interval = 1.0 / args.rate
    started = time.monotonic()

    async def writer(slot: int, session: aiohttp.ClientSession) -> None:
        # Writer `slot` owns the issues with index = slot (mod --writers): no two writers race on one.
        own = issues[slot::args.writers]
        for k, n in enumerate(range(slot, args.writes, args.writers)):
            await asyncio.sleep(max(0.0, started + n * interval - time.monotonic()))
            issue = own[k % len(own)]
            url = f"{urls[n % 2]}/v2/issues/{issue['id']}"
            sent = time.monotonic()
            async with session.put(url, data=json.dumps({"summary": f"Change {n}"})) as response:
                body = await response.read()
                done = time.monotonic()
            if response.status != 200:
                errors[str(response.status)] = errors.get(str(response.status), 0) + 1
                continue
            latencies.append(done - sent)
            answered[(issue["id"], json.loads(body)["version"])] = (sent, done)

    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(writer(slot, session) for slot in range(args.writers)))
    return {"answered": answered, "latencies": latencies, "errors": errors,
            "seconds": time.monotonic() - started}


def run(urls: list[str], token: str, args: argparse.Namespace) -> dict:
    issues, tokens = asyncio.run(set_up(urls, token, args))
    ws_urls = [url.replace("http://", "ws://") for url in urls]
    plan = [(f"{ws_urls[k % 2]}/v2/issues/{issues[k % len(issues)]['id']}/live", issues[k % len(issues)]["id"],
             tokens[k % len(tokens)]) for k in range(args.clients)]
    watchers: dict[int, list[int]] = {}
    for k, (_, issue_id, _) in enumerate(plan):
        watchers.setdefault(issue_id, []).append(k)
    context = multiprocessing.get_context("spawn")
    ready, results, stop = context.Queue(), context.Queue(), context.Event()
    shares = [list(range(p, args.clients, args.client_processes)) for p in range(args.client_processes)]
    processes = [context.Process(target=client_process, args=([plan[k] for k in share], ready, stop, results))
                 for share in shares]
    connect_started = time.monotonic()
    for process in processes:
        process.start()
    connected = sum(ready.get(timeout=300) for _ in processes)
    connect_seconds = time.monotonic() - connect_started
    time.sleep(2)  # presence traffic of the connection storm settles before measuring
    load_before = os.getloadavg()[0]
    written = asyncio.run(write(urls, token, issues, args))
    time.sleep(args.drain)
    stop.set()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    # Client indexes are local to each process: map them back.
    delays, since_request, early, duplicates, unexpected = [], [], 0, 0, 0
    seen: set[tuple[int, int, int]] = set()
    for share, report in zip(shares, reports, strict=True):
        for local, issue_id, version, at in report["received"]:
            key = (share[local], issue_id, version)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            times = written["answered"].get((issue_id, version))
            if times is None:
                unexpected += 1
                continue
            sent, answered = times
            delays.append(max(0.0, at - answered))
            since_request.append(at - sent)
            early += at < answered
    expected = sum(len(watchers[issue_id]) for issue_id, _ in written["answered"])
    received = len(delays)
    return {
        "clients": args.clients, "connected": connected, "connect_seconds": round(connect_seconds, 2),
        "issues": args.issues, "users": args.users, "client_processes": args.client_processes,
        "writes": {"ok": len(written["latencies"]), "errors": written["errors"],
                   "per_second": round(len(written["latencies"]) / written["seconds"], 1),
                   "rest_latency": summary(written["latencies"])},
        "delivery": {**summary(delays), "expected": expected, "received": received, "lost": expected - received,
                     "duplicates": duplicates, "unexpected": unexpected, "before_response": early,
                     "since_request": summary(since_request)},
        "client_failures": sum(r["failure_count"] for r in reports),
        "client_failure_samples": [f for r in reports for f in r["failures"]][:10],
        "client_cpu_seconds": [r["cpu_seconds"] for r in reports],
        "machine_load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def verdicts(result: dict) -> dict:
    delivery = result["delivery"]
    return {
        "delivery_p95_ms": {"target": f"< {TARGETS['delivery_p95_ms']:.0f}", "value": delivery["p95_ms"],
                            "met": delivery["p95_ms"] < TARGETS["delivery_p95_ms"]},
        "delivery_p99_ms": {"target": f"< {TARGETS['delivery_p99_ms']:.0f}", "value": delivery["p99_ms"],
                            "met": delivery["p99_ms"] < TARGETS["delivery_p99_ms"]},
        "lost": {"target": "0", "value": delivery["lost"], "met": delivery["lost"] == 0},
    }


def render(result: dict) -> str:
    d, w = result["delivery"], result["writes"]
    lines = [f"# Live updates: {result['clients']} WebSocket clients over {result['issues']} issues, 2 server "
             f"processes + Redis ({result['backend']})", "",
             f"{result['when']} on {result['machine']}; {result['client_processes']} client processes, "
             f"{result['users']} users; machine load average {result['machine_load_average_1m'][0]} before / "
             f"{result['machine_load_average_1m'][1]} after.", "",
             f"Connected {result['connected']:,} of {result['clients']:,} clients in {result['connect_seconds']} s "
             f"(client failures: {result['client_failures']}).", "",
             "## Writes (REST PUT, alternating the two servers)", "",
             "| ok | per s | p50 ms | p95 ms | p99 ms | max ms | errors |", "|---:|---:|---:|---:|---:|---:|---|",
             f"| {w['ok']:,} | {w['per_second']} | {w['rest_latency']['p50_ms']} | {w['rest_latency']['p95_ms']} | "
             f"{w['rest_latency']['p99_ms']} | {w['rest_latency']['max_ms']} | {w['errors'] or '-'} |", "",
             "## Delivery delay (REST response → message at the client)", "",
             "| expected | received | lost | duplicates | p50 ms | p95 ms | p99 ms | max ms | before the response |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
             f"| {d['expected']:,} | {d['received']:,} | {d['lost']:,} | {d['duplicates']} | {d['p50_ms']} | "
             f"{d['p95_ms']} | {d['p99_ms']} | {d['max_ms']} | {d['before_response']:,} |", "",
             "From the moment the writer sent the request (REST latency included): "
             f"p50 {d['since_request']['p50_ms']} ms, p95 {d['since_request']['p95_ms']} ms, "
             f"p99 {d['since_request']['p99_ms']} ms, max {d['since_request']['max_ms']} ms.", "",
             "## Targets", "", "| check | target | measured | met |", "|---|---|---:|---|"]
    for name, check in result["verdicts"].items():
        lines.append(f"| {name} | {check['target']} | {check['value']} | {'yes' if check['met'] else 'NO'} |")
    if result.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench_live")
    parser.add_argument("--redis-url", default=os.environ.get("TESSERA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--issues", type=int, default=50)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--writes", type=int, default=600)
    parser.add_argument("--rate", type=float, default=20.0, help="writes per second (a ceiling with --writers > 1)")
    parser.add_argument("--writers", type=int, default=1, help="concurrent writer loops")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds to wait for late messages")
    parser.add_argument("--label", default=None, help="results file suffix (default: none)")
    parser.add_argument("--note", action="append", default=[], help="a line for the report")
    args = parser.parse_args()
    with two_servers(args) as (urls, token):
        result = run(urls, token, args)
    result.update(backend=args.backend, when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  machine=f"{platform.machine()}, {os.cpu_count()} cores (shared by servers, Redis, database and "
                          "clients)", notes=args.note)
    result["verdicts"] = verdicts(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"live-{args.label}" if args.label else "live"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
