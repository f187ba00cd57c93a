"""The delivery pipeline end to end, against real local receivers (issue 15's targets).

    .venv/bin/python bench/notify.py                    # every phase, both databases where it applies
    .venv/bin/python bench/notify.py --phases webhooks --backends postgres

Phases:
- `webhooks`: deliveries per second of ONE `tessera worker` process. N `issue_updated` events
  are planted in the outbox at once (copies of a real one, so the fan-out renders each issue in
  Jira's shape and signs it); the rate is N over the time from the first event to the last
  delivery's settle, as the database recorded them. The receiver (its own process, aiohttp)
  checks every signature.
- `latency`: from commit to webhook receipt at a steady rate (`tessera serve --workers 2`, two
  `tessera worker` processes, PostgreSQL), with two sources of events: issue updates through the
  API (as many as the server manages beside everything else on this machine), and events
  committed one by one straight into the outbox at the rate asked (`--sources`). Latency is the
  receipt time minus the payload's `timestamp` (the event's time, taken just before its
  transaction commits). Halfway through, one worker is SIGKILLed and started again: afterwards
  every update must have arrived (lost = 0) and, by idempotency key, once (repeats are reported).
- `email`: emails per second of one worker's email sender against a local aiosmtpd server
  (bench/notify_email.py, the mail channel's own benchmark, is run and its figures included).
- `batching`: a realistic burst (several people editing a few issues within the window) fanned
  out with batching on and off: how many deliveries per event batching saves.

Every process runs on this machine and all traffic stays on 127.0.0.1
(TESSERA_OUTBOUND_ALLOW_PRIVATE=true for the server and workers only).
Results: bench/results/notify-<date>.md and .json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import TESSERA, create_org, free_port, fresh_database, start_server, stop_server  # noqa: E402
from fast_client import FastClient  # noqa: E402

RESULTS = Path(__file__).parent / "results"
POSTGRES = os.environ.get("TESSERA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-webhook-secret"


# -- the receiver (its own process) ------------------------------------------------------------------

def receiver_main(port: int, log_path: str) -> None:
    """POSTs are verified (HMAC) and logged as JSON lines: key, receipt time, payload timestamp."""
    from aiohttp import web

    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(expected, request.headers.get("X-Tessera-Signature", ""))
        stamp = json.loads(body).get("timestamp") if body else None
        log.write(json.dumps({"key": request.headers.get("X-Tessera-Delivery"), "at": time.time(),
                              "ts": stamp, "signed": good}) + "\n")
        return web.Response(text="ok")

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/hook", hook)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def start_receiver(log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--receiver", str(port), str(log_path)],
                               start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return process, f"http://127.0.0.1:{port}/hook"
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the receiver did not start")


def read_log(log_path: Path) -> list[dict]:
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def environment() -> dict[str, str]:
    return {**os.environ, "TESSERA_LOG_LEVEL": "WARNING", "TESSERA_OUTBOUND_ALLOW_PRIVATE": "true",
            "TESSERA_RUN_WORKER_IN_SERVER": "false"}


def start_worker(database_url: str) -> subprocess.Popen:
    return subprocess.Popen([str(TESSERA), "worker", "--database-url", database_url], env=environment(),
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


# -- the server side ---------------------------------------------------------------------------------

async def prepare(base_url: str, token: str, hook_url: str, issues: int) -> list[list]:
    """A project, `issues` issues, and one webhook on every issue update."""
    async with FastClient(base_url, headers={"Authorization": f"Bearer {token}"}, max_connections=16) as client:
        key = "NTF"
        project = await client.post("/v2/projects", json={"key": key, "name": "Notify bench"})
        assert project.status_code in (200, 201), project.text
        made = []
        for n in range(issues):
            response = await client.post("/v2/issues", json={"project_id": key, "issue_type": "task",
                                                              "summary": f"Bench issue {n}"})
            assert response.status_code == 201, response.text
            made.append([response.json()["id"], response.json()["version"]])
        hook = await client.post("/v2/webhooks", json={"name": "bench", "url": hook_url, "secret": SECRET,
                                                       "events": ["jira:issue_updated"]})
        assert hook.status_code == 201, hook.text
        # One real issue_updated event: the throughput phase plants copies of it.
        edited = await client.put(f"/v2/issues/{made[0][0]}", json={"summary": "Bench issue 0, edited",
                                                                      "version": made[0][1]})
        assert edited.status_code == 200, edited.text
        made[0][1] = edited.json()["version"]
        return made


async def steady_updates(base_url: str, token: str, issues: list[list], rate: float, seconds: float,
                         on_half: object) -> dict:
    """`rate` updates a second for `seconds`, each on an issue not being updated at that moment.
    Returns how many were sent, committed (200), refused (by status) and skipped (every issue
    busy: the server was behind), and the server's response times. `on_half()` runs once halfway."""
    done = 0
    refused: dict[str, int] = {}
    skipped = 0
    response_ms: list[float] = []
    busy: set[int] = set()
    async with FastClient(base_url, headers={"Authorization": f"Bearer {token}"}, max_connections=64) as client:
        async def update(issue: list) -> None:
            nonlocal done
            sent_at = time.perf_counter()
            response = await client.put(f"/v2/issues/{issue[0]}", json={"summary": f"Edited {time.time()}",
                                                                         "version": issue[1]})
            response_ms.append((time.perf_counter() - sent_at) * 1000)
            if response.status_code == 200:
                issue[1] = response.json()["version"]
                done += 1
            else:
                refused[str(response.status_code)] = refused.get(str(response.status_code), 0) + 1
            busy.discard(issue[0])

        tasks = []
        started = time.monotonic()
        halfway = False
        for n in range(int(rate * seconds)):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if not halfway and n >= rate * seconds / 2:
                halfway = True
                on_half()  # type: ignore[operator]
            free = [issue for issue in issues if issue[0] not in busy]
            if not free:
                skipped += 1
                continue
            issue = free[n % len(free)]
            busy.add(issue[0])
            tasks.append(asyncio.create_task(update(issue)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
    return {"sent": len(tasks), "committed": done, "refused": refused, "skipped": skipped,
            "committed_per_second": done / elapsed,
            "response_ms": {"p50": percentile(response_ms, 0.5), "p95": percentile(response_ms, 0.95)}}


async def pending_deliveries(database_url: str) -> int:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        outbox = await connection.fetchval("SELECT count(*) FROM outbox_events WHERE processed_at IS NULL")
        deliveries = await connection.fetchval(
            "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending', 'failed')")
        return outbox + deliveries
    finally:
        await connection.close()


async def steady_commits(database_url: str, rate: float, seconds: float, on_half: object) -> dict:
    """`rate` issue_updated events a second for `seconds`, each committed on its own into the
    outbox as the API's update would (copies of a real one, over the project's issues, stamped
    with the moment of the commit): the pipeline's load without the API's cost, which on this
    2-core machine cannot also serve 200 updates a second beside two workers and the database."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        row = await connection.fetchrow("SELECT organization_id, actor_id, payload::text AS payload FROM outbox_events "
                                        "WHERE event_type = 'issue_updated' ORDER BY id DESC LIMIT 1")
        ids = [r["id"] for r in await connection.fetch("SELECT id FROM issues WHERE organization_id = $1",
                                                       row["organization_id"])]
        template = json.loads(row["payload"])
        insert = await connection.prepare(
            "INSERT INTO outbox_events (organization_id, event_type, aggregate_type, aggregate_id, actor_id, "
            "payload, created_at, attempts) VALUES ($1, 'issue_updated', 'issue', $2, $3, $4::jsonb, $5, 0)")
        committed = 0
        started = time.monotonic()
        halfway = False
        for n in range(int(rate * seconds)):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if not halfway and n >= rate * seconds / 2:
                halfway = True
                on_half()  # type: ignore[operator]
            issue_id = ids[n % len(ids)]
            now = datetime.now(UTC)
            await insert.fetch(row["organization_id"], issue_id, row["actor_id"],
                               json.dumps({**template, "issue_id": issue_id, "timestamp": now.isoformat()}), now)
            committed += 1
        elapsed = time.monotonic() - started
    finally:
        await connection.close()
    return {"sent": committed, "committed": committed, "refused": {}, "skipped": 0,
            "committed_per_second": committed / elapsed}


def latency_phase(rate: float, seconds: float, directory: Path, source: str = "api") -> dict:
    database_url = fresh_database("postgres", POSTGRES, "bench_notify", str(directory))
    subprocess.run([str(TESSERA), "migrate", "--database-url", database_url], env=environment(), check=True,
                   stdout=subprocess.DEVNULL)
    token = create_org(database_url)
    log_path = directory / "latency.jsonl"
    receiver, hook_url = start_receiver(log_path)
    port = free_port()
    server = start_server(database_url, port, 2)
    base_url = f"http://127.0.0.1:{port}"
    workers = []
    try:
        issues = asyncio.run(prepare(base_url, token, hook_url, 400))
        workers = [start_worker(database_url), start_worker(database_url)]
        time.sleep(2)
        log_path.write_text("")  # only the steady run's receipts
        killed = {}

        def kill_and_restart() -> None:
            victim = workers[0]
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()
            killed["at"] = time.time()
            workers[0] = start_worker(database_url)

        if source == "outbox":
            load = asyncio.run(steady_commits(database_url, rate, seconds, kill_and_restart))
        else:
            load = asyncio.run(steady_updates(base_url, token, issues, rate, seconds, kill_and_restart))
        sent = load["committed"]
        deadline = time.monotonic() + 180
        while asyncio.run(pending_deliveries(database_url)) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)
        received = read_log(log_path)
    finally:
        for worker in workers:
            stop(worker)
        stop_server(server)
        stop(receiver)
    keys = [r["key"] for r in received]
    unique = {r["key"]: r for r in received}
    latencies = [(r["at"] - r["ts"] / 1000) * 1000 for r in unique.values() if r["ts"]]
    steady = [(r["at"] - r["ts"] / 1000) * 1000 for r in unique.values()
              if r["ts"] and abs(r["ts"] / 1000 - killed.get("at", 0)) > 5]
    return {"source": source, "rate_per_second": rate, "seconds": seconds, "updates_committed": sent, "load": load,
            "receipts": len(keys),
            "unique_keys": len(unique), "lost": max(0, sent - len(unique)), "repeats": len(keys) - len(unique),
            "unsigned": sum(1 for r in received if not r["signed"]),
            "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                           "p99": percentile(latencies, 0.99), "max": max(latencies, default=float("nan"))},
            "latency_ms_away_from_the_kill": {"p50": percentile(steady, 0.5), "p95": percentile(steady, 0.95)}}


# -- one worker's webhook throughput ------------------------------------------------------------------

async def plant_events(database_url: str, count: int) -> None:
    """`count` copies of the newest issue_updated event, over the project's issues, in one transaction."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql")) \
        if database_url.startswith("postgresql") else None
    if connection is None:
        import sqlite3

        path = database_url.split(":///", 1)[1]
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT organization_id, aggregate_id, actor_id, payload FROM outbox_events "
                             "WHERE event_type = 'issue_updated' ORDER BY id DESC LIMIT 1").fetchone()
            ids = [r[0] for r in db.execute("SELECT id FROM issues WHERE organization_id = ?", (row[0],))]
            now = datetime.now(UTC).isoformat(" ")
            db.executemany("INSERT INTO outbox_events (organization_id, event_type, aggregate_type, aggregate_id, "
                           "actor_id, payload, created_at, attempts) VALUES (?, 'issue_updated', 'issue', ?, ?, ?, ?, 0)",
                           [(row[0], ids[n % len(ids)], row[2], _retarget(row[3], ids[n % len(ids)]), now)
                            for n in range(count)])
        return
    try:
        row = await connection.fetchrow("SELECT organization_id, aggregate_id, actor_id, payload::text AS payload "
                                        "FROM outbox_events WHERE event_type = 'issue_updated' ORDER BY id DESC LIMIT 1")
        ids = [r["id"] for r in await connection.fetch("SELECT id FROM issues WHERE organization_id = $1",
                                                       row["organization_id"])]
        now = datetime.now(UTC)
        await connection.executemany(
            "INSERT INTO outbox_events (organization_id, event_type, aggregate_type, aggregate_id, actor_id, payload, "
            "created_at, attempts) VALUES ($1, 'issue_updated', 'issue', $2, $3, $4::jsonb, $5, 0)",
            [(row["organization_id"], ids[n % len(ids)], row["actor_id"], _retarget(row["payload"], ids[n % len(ids)]),
              now) for n in range(count)])
    finally:
        await connection.close()


def _retarget(payload: str, issue_id: int) -> str:
    data = json.loads(payload)
    data["issue_id"] = issue_id
    return json.dumps(data)


def throughput_phase(backend: str, count: int, directory: Path) -> dict:
    database_url = fresh_database(backend, POSTGRES, f"bench_notify_{backend}", str(directory / backend))
    (directory / backend).mkdir(exist_ok=True)
    subprocess.run([str(TESSERA), "migrate", "--database-url", database_url], env=environment(), check=True,
                   stdout=subprocess.DEVNULL)
    token = create_org(database_url)
    log_path = directory / f"throughput-{backend}.jsonl"
    receiver, hook_url = start_receiver(log_path)
    port = free_port()
    server = start_server(database_url, port, 1)
    worker = None
    try:
        try:
            asyncio.run(prepare(f"http://127.0.0.1:{port}", token, hook_url, 200))
        finally:
            stop_server(server)
        worker = start_worker(database_url)
        time.sleep(3)  # started, the set-up's own events delivered
        log_path.write_text("")
        started = time.time()
        asyncio.run(plant_events(database_url, count))
        deadline = time.monotonic() + 600
        while len(read_log(log_path)) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        finished = max((r["at"] for r in read_log(log_path)), default=time.time())
        cpu = _cpu_seconds(worker.pid)
    finally:
        if worker is not None:
            stop(worker)
        stop(receiver)
    received = read_log(log_path)
    return {"backend": backend, "events": count, "received": len(received),
            "unsigned": sum(1 for r in received if not r["signed"]),
            "seconds": finished - started, "deliveries_per_second": len(received) / (finished - started),
            "worker_cpu_seconds": cpu}


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# -- report ------------------------------------------------------------------------------------------

def render(result: dict) -> str:
    lines = [f"# bench/notify.py, {result['date']}", "", f"Machine: {result['machine']}", ""]
    if "webhooks" in result:
        lines += ["## One worker's webhook deliveries (fan-out, Jira payload, HMAC, POST, settle)", "",
                  "| database | events | received | seconds | deliveries/s | worker CPU s | target |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for row in result["webhooks"]:
            lines.append(f"| {row['backend']} | {row['events']} | {row['received']} | {row['seconds']:.2f} | "
                         f"{row['deliveries_per_second']:.0f} | {row['worker_cpu_seconds'] or 0:.1f} | >= 1,000 |")
        lines.append("")
    if "latency" in result:
        rows = result["latency"] if isinstance(result["latency"], list) else [result["latency"]]
        lines += ["## Commit to webhook receipt, PostgreSQL, 2 server processes, 2 workers, one SIGKILLed halfway",
                  "", "| source | rate/s asked | committed/s | s | updates | received (unique) | lost | repeats | "
                  "unsigned | p50 ms | p95 ms | p99 ms | p95 away from the kill |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in rows:
            load = row.get("load", {})
            lines.append(
                f"| {row.get('source', 'api')} | {row['rate_per_second']:.0f} | "
                f"{load.get('committed_per_second', float('nan')):.0f} | {row['seconds']:.0f} | "
                f"{row['updates_committed']} | {row['unique_keys']} | {row['lost']} | {row['repeats']} | "
                f"{row['unsigned']} | {row['latency_ms']['p50']:.0f} | {row['latency_ms']['p95']:.0f} | "
                f"{row['latency_ms']['p99']:.0f} | {row['latency_ms_away_from_the_kill']['p95']:.0f} |")
        lines += ["", "Target: p95 < 500 ms; lost 0; each delivery once by its idempotency key. Sources: `api`,"
                  " updates through `PUT /v2/issues/{id}` (the server takes what it can: skipped = due while"
                  " every issue had an update in flight); `outbox`, events committed one by one straight into"
                  " the outbox at the rate asked. p99 and max include the events the SIGKILLed worker held:"
                  " they wait for its lease to end.", ""]
        lines += [f"Load ({row.get('source', 'api')}): {json.dumps(row.get('load', {}))}" for row in rows] + [""]
    for name in ("email", "batching"):
        if name in result:
            lines += [f"## {name}", "", "```", json.dumps(result[name], indent=2), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receiver", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--phases", default="webhooks,latency,email,batching")
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--sources", default="api,outbox",
                        help="latency phase: updates through the API, and/or events committed straight into the outbox")
    args = parser.parse_args()
    if args.receiver:
        receiver_main(int(args.receiver[0]), args.receiver[1])
        return
    phases = set(args.phases.split(","))
    # The servers and workers started below read these: receivers are on 127.0.0.1, and the
    # benchmark runs its own workers.
    os.environ["TESSERA_OUTBOUND_ALLOW_PRIVATE"] = "true"
    os.environ["TESSERA_RUN_WORKER_IN_SERVER"] = "false"
    result: dict = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        if "webhooks" in phases:
            result["webhooks"] = [throughput_phase(b, args.events, directory) for b in args.backends.split(",")]
            print(json.dumps(result["webhooks"], indent=2), flush=True)
        if "latency" in phases:
            result["latency"] = [latency_phase(args.rate, args.seconds, directory, source)
                                 for source in args.sources.split(",")]
            print(json.dumps(result["latency"], indent=2), flush=True)
        if "email" in phases and (Path(__file__).parent / "notify_email.py").exists():
            run = subprocess.run([sys.executable, str(Path(__file__).parent / "notify_email.py"), "--json"],
                                 capture_output=True, text=True, check=False)
            result["email"] = json.loads(run.stdout) if run.returncode == 0 and run.stdout.strip() else {
                "error": run.stderr[-2000:]}
        if "batching" in phases and (Path(__file__).parent / "notify_batching.py").exists():
            run = subprocess.run([sys.executable, str(Path(__file__).parent / "notify_batching.py"), "--json"],
                                 capture_output=True, text=True, check=False)
            result["batching"] = json.loads(run.stdout) if run.returncode == 0 and run.stdout.strip() else {
                "error": run.stderr[-2000:]}
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"notify-{datetime.now(UTC).strftime('%Y%m%d-%H%M')}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2))
    stem.with_suffix(".md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
