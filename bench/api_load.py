"""Load the /v2 issue API with concurrent clients and record throughput and latency percentiles.

    # start a server on a fresh database, then measure (the usual way):
    .venv/bin/python bench/api_load.py --backend postgres --workers 2 --clients 32 --duration 25
    .venv/bin/python bench/api_load.py --backend sqlite --workers 1 --clients 32 --duration 25
    # or target a running server (a token of an admin of some organization):
    .venv/bin/python bench/api_load.py --url http://127.0.0.1:8000 --token tsr_... --duration 20

Phases: "mixed" (issue create, single-issue GET and PUT with the version read, by --mix) for
--duration seconds, then "create-only" for --create-seconds, which measures the write path's
ceiling. Each virtual client is a loop over one shared aiohttp session (bench/fast_client.py:
httpx would spend ~10x the CPU per request on the machine the server shares); latency is measured
around each request in the client, so it includes the client's own event-loop delays: the load
generator shares the machine with the server, and its CPU use is recorded next to the figures.

With --real-text (the default when the files exist) summaries and descriptions come from the
public Jira export in /work/shared/data/jira-real/tidev-appcelerator/*.issues.jsonl.gz, read
at run time; otherwise they are synthetic.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fast_client import ERRORS as CLIENT_ERRORS  # noqa: E402
from fast_client import FastClient

RESULTS = Path(__file__).parent / "results"
TESSERA = Path(sys.executable).parent / "tessera"
REAL_TEXT = Path("/work/shared/data/jira-real/tidev-appcelerator")
PROJECT_KEYS = ("BWEB", "BAPI", "BMOB", "BOPS")
TARGETS = {"create_p95_ms": 25.0, "creates_per_second": 500.0, "get_p95_ms": 10.0}


# -- text ------------------------------------------------------------------------------------------

def real_texts(limit: int = 5000) -> list[tuple[str, str]]:
    """Up to `limit` (summary, description) pairs from each project's export, `limit` in all."""
    texts: list[tuple[str, str]] = []
    for path in sorted(REAL_TEXT.glob("*.issues.jsonl.gz")):
        taken = 0
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                fields = json.loads(line).get("fields", {})
                summary = " ".join((fields.get("summary") or "").split())[:255]
                if summary:
                    texts.append((summary, (fields.get("description") or "")[:8000]))
                    taken += 1
                if taken >= limit:
                    break
    random.Random(5).shuffle(texts)
    return texts[:limit]


def synthetic_texts(count: int = 2000) -> list[tuple[str, str]]:
    rng = random.Random(5)
    things = ("login button", "checkout total", "search filter", "CSV export", "avatar upload", "date picker")
    problems = ("does nothing on Safari", "shows the wrong currency", "times out", "crashes the tab",
                "loses input after reload", "renders twice")
    return [(f"The {rng.choice(things)} {rng.choice(problems)} (case {n})",
             "Steps to reproduce:\n1. Sign in.\n2. Open the page.\n3. Try it.\n\nExpected: it works.\n"
             "Actual: it does not." * rng.randint(1, 3)) for n in range(count)]


# -- measurement -----------------------------------------------------------------------------------

@dataclass
class OperationStats:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0

    def record(self, seconds: float, status: int, expected: int) -> None:
        if status == expected:
            self.latencies.append(seconds)
        elif status == 409 or status == 412:
            self.conflicts += 1
        else:
            self.errors[str(status)] = self.errors.get(str(status), 0) + 1

    def summary(self, seconds: float) -> dict:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2) if ordered else 0.0

        return {"ok": len(ordered), "errors": self.errors, "conflicts": self.conflicts,
                "per_second": round(len(ordered) / seconds, 1),
                "mean_ms": round(sum(ordered) / len(ordered) * 1000, 2) if ordered else 0.0,
                "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
                "max_ms": round(ordered[-1] * 1000, 2) if ordered else 0.0}


@dataclass
class Shared:
    issues: list[list[int]]  # [id, version] of issues the clients created
    texts: list[tuple[str, str]]
    rng: random.Random


async def create_issue(client: FastClient, shared: Shared, stats: OperationStats) -> None:
    summary, description = shared.rng.choice(shared.texts)
    body = {"project_id": shared.rng.choice(PROJECT_KEYS), "issue_type": shared.rng.choice(("Story", "Bug", "Task")),
            "summary": summary, "description": description,
            "priority": shared.rng.choice(("High", "Medium", "Low")),
            "labels": shared.rng.sample(["frontend", "backend", "regression", "customer"], 2)}
    started = time.perf_counter()
    response = await client.post("/v2/issues", json=body)
    stats.record(time.perf_counter() - started, response.status_code, 201)
    if response.status_code == 201:
        data = response.json()
        shared.issues.append([data["id"], data["version"]])


async def get_issue(client: FastClient, shared: Shared, stats: OperationStats) -> None:
    issue = shared.rng.choice(shared.issues)
    started = time.perf_counter()
    response = await client.get(f"/v2/issues/{issue[0]}")
    stats.record(time.perf_counter() - started, response.status_code, 200)


async def update_issue(client: FastClient, shared: Shared, stats: OperationStats) -> None:
    issue = shared.rng.choice(shared.issues)
    summary, _ = shared.rng.choice(shared.texts)
    body = {"summary": summary, "priority": shared.rng.choice(("Highest", "High", "Medium", "Low")),
            "version": issue[1]}
    started = time.perf_counter()
    response = await client.put(f"/v2/issues/{issue[0]}", json=body)
    stats.record(time.perf_counter() - started, response.status_code, 200)
    if response.status_code == 200:
        issue[1] = response.json()["version"]
    elif response.status_code == 409:
        issue[1] = response.json().get("error", {}).get("current_version", issue[1])


OPERATIONS = {"create": create_issue, "get": get_issue, "update": update_issue}


async def run_phase(client: FastClient, shared: Shared, *, mix: dict[str, float], clients: int,
                    duration: float, max_requests: int | None) -> dict:
    stats = {name: OperationStats() for name in mix}
    names, weights = list(mix), list(mix.values())
    deadline = time.perf_counter() + duration
    budget = [max_requests if max_requests is not None else -1]

    async def virtual_client() -> None:
        while time.perf_counter() < deadline and budget[0] != 0:
            budget[0] -= 1
            name = shared.rng.choices(names, weights)[0]
            try:
                await OPERATIONS[name](client, shared, stats[name])
            except (httpx.HTTPError, *CLIENT_ERRORS) as error:
                stats[name].errors[type(error).__name__] = stats[name].errors.get(type(error).__name__, 0) + 1

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    await asyncio.gather(*(virtual_client() for _ in range(clients)))
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    operations = {name: stat.summary(seconds) for name, stat in stats.items()}
    return {"seconds": round(seconds, 2), "clients": clients, "mix": mix,
            "requests_per_second": round(sum(op["ok"] for op in operations.values()) / seconds, 1),
            "load_generator_cpu_percent": round(100 * cpu / seconds, 1),
            "machine_load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "operations": operations}


# -- server ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tessera(*args: str) -> str:
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING"}
    return subprocess.run([str(TESSERA), *args], stdout=subprocess.PIPE, text=True, env=environment,
                          check=True).stdout


async def pg_admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def fresh_database(backend: str, postgres_url: str, name: str, directory: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory}/bench.db"
    asyncio.run(pg_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(pg_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    return f"{postgres_url.rsplit('/', 1)[0]}/{name}"


def create_org(database_url: str, key: str | None = None) -> str:
    key = key or f"BENCH{random.randrange(10**6)}"
    created = json.loads(tessera("create-org", key, "--name", "Benchmark", "--admin-email", f"bench@{key.lower()}.test",
                                 "--admin-password", "benchmark-password", "--json", "--database-url",
                                 database_url).strip().splitlines()[-1])
    tessera("set-limits", key, "--requests-per-minute", "100000000", "--database-url", database_url)
    return created["api_token"]


def start_server(database_url: str, port: int, workers: int, *, ready_within: float = 60) -> subprocess.Popen:
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([str(TESSERA), "serve", "--port", str(port), "--workers", str(workers),
                                "--database-url", database_url], env=environment, start_new_session=True,
                               stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(process)
    raise SystemExit(f"the server did not become healthy within {ready_within:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    """The server runs in its own session: signal its group (uvicorn's workers included)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# -- run -------------------------------------------------------------------------------------------

@contextmanager
def target_server(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Iterator[tuple[str, str]]:
    """(url, admin token) of the server to load: the one given with --url and --token, or a
    fresh one on a fresh database, stopped when the block ends. With `args.preload` (scripts that
    offer it) the organization first gets that many issues through `tessera load`."""
    if args.url:
        if not args.token:
            parser.error("--url needs --token")
        yield args.url.rstrip("/"), args.token
        return
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as directory:
        database_url = fresh_database(args.backend, args.postgres_url, args.database_name, directory)
        tessera("migrate", "--database-url", database_url)
        key = f"BENCH{random.randrange(10**6)}"
        token = create_org(database_url, key)
        if preload := getattr(args, "preload", 0):
            started = time.perf_counter()
            tessera("load", "--org", key, "--issues", str(preload), "--database-url", database_url)
            print(f"loaded {preload:,} issues into {key} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        port = free_port()
        server = start_server(database_url, port, args.workers)
        try:
            yield f"http://127.0.0.1:{port}", token
        finally:
            stop_server(server)


async def measure(url: str, token: str, args: argparse.Namespace, texts: list[tuple[str, str]]) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    async with FastClient(url, headers=headers, max_connections=args.clients) as client:
        for key in PROJECT_KEYS:
            response = await client.post("/v2/projects", json={"key": key, "name": f"Bench {key}"})
            if response.status_code not in (201, 409):
                raise SystemExit(f"creating project {key}: {response.status_code} {response.text}")
        shared = Shared(issues=[], texts=texts, rng=random.Random(args.seed))
        warm = await run_phase(client, shared, mix={"create": 1.0}, clients=args.clients, duration=600,
                               max_requests=args.warmup)
        if not shared.issues:
            raise SystemExit(f"warm-up created no issues: {warm['operations']}")
        phases = {"mixed": await run_phase(client, shared, mix=args.mix, clients=args.clients,
                                           duration=args.duration, max_requests=args.requests)}
        if args.create_seconds > 0:
            phases["create-only"] = await run_phase(client, shared, mix={"create": 1.0}, clients=args.clients,
                                                    duration=args.create_seconds, max_requests=None)
    return phases


def verdicts(phases: dict, backend: str, workers: int) -> dict:
    mixed = phases["mixed"]["operations"]
    create_only = phases.get("create-only", {}).get("operations", {}).get("create")
    creates_per_second = max(mixed.get("create", {}).get("per_second", 0.0),
                             create_only["per_second"] if create_only else 0.0)
    checks = {
        "create_p95_ms": {"target": f"< {TARGETS['create_p95_ms']:.0f}", "value": mixed["create"]["p95_ms"],
                          "met": mixed["create"]["p95_ms"] < TARGETS["create_p95_ms"]},
        "get_p95_ms": {"target": f"< {TARGETS['get_p95_ms']:.0f}", "value": mixed["get"]["p95_ms"],
                       "met": mixed["get"]["p95_ms"] < TARGETS["get_p95_ms"]},
        "creates_per_second": {"target": f">= {TARGETS['creates_per_second']:.0f}", "value": creates_per_second,
                               "met": creates_per_second >= TARGETS["creates_per_second"]},
    }
    note = ("targets are stated for PostgreSQL with 2 workers" if (backend, workers) != ("postgres", 2) else "")
    return {"checks": checks, "note": note}


def render(result: dict) -> str:
    lines = [f"# API load: {result['backend']}, {result['workers']} worker(s), {result['clients']} clients", "",
             f"{result['when']} on {result['machine']}; text: {result['text_source']}; "
             f"server started by the script: {result['server_started']}.", ""]
    for name, phase in result["phases"].items():
        lines += [f"## {name} ({phase['seconds']} s, {phase['requests_per_second']:,.0f} requests/s, "
                  f"load generator CPU {phase['load_generator_cpu_percent']:.0f}%, machine load average "
                  f"{phase['machine_load_average_1m'][0]} before / {phase['machine_load_average_1m'][1]} after)", "",
                  "| operation | ok | per s | p50 ms | p95 ms | p99 ms | max ms | conflicts | errors |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for op, stats in phase["operations"].items():
            lines.append(f"| {op} | {stats['ok']:,} | {stats['per_second']:,.1f} | {stats['p50_ms']} | "
                         f"{stats['p95_ms']} | {stats['p99_ms']} | {stats['max_ms']} | {stats['conflicts']} | "
                         f"{stats['errors'] or '-'} |")
        lines.append("")
    lines += ["## Targets", "", "| check | target | measured | met |", "|---|---|---:|---|"]
    for name, check in result["verdicts"]["checks"].items():
        lines.append(f"| {name} | {check['target']} | {check['value']} | {'yes' if check['met'] else 'NO'} |")
    if result["verdicts"]["note"]:
        lines += ["", f"Note: {result['verdicts']['note']}."]
    if result.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in OPERATIONS:
            raise argparse.ArgumentTypeError(f"unknown operation {name!r}; known: {', '.join(OPERATIONS)}")
        mix[name.strip()] = float(weight or 1)
    return mix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="target a running server instead of starting one")
    parser.add_argument("--token", help="with --url: an API token of an organization admin")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=25.0, help="seconds of the mixed phase")
    parser.add_argument("--requests", type=int, default=None, help="stop the mixed phase after this many")
    parser.add_argument("--create-seconds", type=float, default=10.0, help="seconds of the create-only phase")
    parser.add_argument("--warmup", type=int, default=300, help="issues created before measuring")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("create=0.3,get=0.5,update=0.2"))
    parser.add_argument("--real-text", action=argparse.BooleanOptionalAction, default=REAL_TEXT.exists())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default=None, help="results file suffix (default: the backend)")
    parser.add_argument("--note", action="append", default=[], help="a line for the report (e.g. a profile hint)")
    args = parser.parse_args()
    texts = real_texts() if args.real_text and REAL_TEXT.exists() else synthetic_texts()
    with target_server(args, parser) as (url, token):
        phases = asyncio.run(measure(url, token, args, texts))
    result = {"backend": args.backend, "workers": args.workers, "clients": args.clients,
              "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared by server and load generator)",
              "text_source": f"real ({len(texts)} Jira issues)" if args.real_text else "synthetic",
              "server_started": not args.url, "phases": phases,
              "verdicts": verdicts(phases, args.backend, args.workers), "notes": args.note}
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = args.label or args.backend
    (RESULTS / f"api_load-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"api_load-{label}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
