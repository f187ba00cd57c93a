"""Inbound Git events processed per second: signed GitHub push events of 5 commits each (every
commit naming one of 50 issues) posted to a running server's connection URL by --clients
concurrent senders for --duration seconds. Each event is verified, remembered (replay check),
parsed and linked inline; the figure is events answered 200 per second.

    .venv/bin/python bench/git_inbound.py --backend sqlite --duration 15
    .venv/bin/python bench/git_inbound.py --backend postgres --workers 2 --duration 15

Server start and the organization come from bench/api_load.py.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from api_load import target_server  # a sibling script, not a package  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SECRET = "bench-secret"


def push(keys: list[str], serial: int) -> bytes:
    commits = [{"id": hashlib.sha1(f"{serial}-{n}".encode()).hexdigest(), "message": f"{keys[n]} bench change {n}",
                "timestamp": "2025-01-01T00:00:00Z", "url": f"https://github.com/acme/web/commit/{serial}-{n}",
                "author": {"name": "Bench", "email": "nobody@bench.test"}} for n in range(5)]
    return json.dumps({"ref": "refs/heads/main", "created": False, "deleted": False, "commits": commits,
                       "repository": {"full_name": "acme/web", "html_url": "https://github.com/acme/web"}}).encode()


async def measure(url: str, token: str, args: argparse.Namespace) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        key = f"G{uuid.uuid4().hex[:5].upper()}"
        (await client.post("/v2/projects", json={"key": key, "name": "Git bench"}, headers=headers)).raise_for_status()
        keys = []
        for n in range(50):
            created = await client.post("/v2/issues", json={"project_id": key, "issue_type": "Task",
                                                            "summary": f"bench {n}"}, headers=headers)
            created.raise_for_status()
            keys.append(created.json()["key"])
        connection = (await client.post("/v2/integrations/git", json={"provider": "github", "name": "bench",
                                                                      "secret": SECRET}, headers=headers)).json()
        path = f"/v2/integrations/git/{connection['id']}/events"
        serials = itertools.count()
        ok, failed, latencies = 0, 0, []
        deadline = time.perf_counter() + args.duration

        async def sender() -> None:
            nonlocal ok, failed
            while time.perf_counter() < deadline:
                serial = next(serials)
                body = push([keys[(serial * 5 + n) % len(keys)] for n in range(5)], serial)
                signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                started = time.perf_counter()
                response = await client.post(path, content=body, headers={
                    "Content-Type": "application/json", "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": signature})
                latencies.append(time.perf_counter() - started)
                if response.status_code == 200 and response.json()["linked"]["commits"] == 5:
                    ok += 1
                else:
                    failed += 1

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(args.clients)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1)  # noqa: E731
    return {"events_per_second": round(ok / elapsed, 1), "commits_linked_per_second": round(ok * 5 / elapsed, 1),
            "events_ok": ok, "events_failed": failed, "seconds": round(elapsed, 1),
            "p50_ms": pick(0.5), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="target a running server instead of starting one")
    parser.add_argument("--token", help="with --url: an API token of an organization admin")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_bench_git")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args()
    with target_server(args, parser) as (url, token):
        figures = asyncio.run(measure(url, token, args))
    result = {"backend": args.backend, "workers": args.workers, "clients": args.clients,
              "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared by server and load generator)",
              **figures}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"git_inbound-{args.backend}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
