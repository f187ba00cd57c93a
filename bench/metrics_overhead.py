"""What counting requests for /metrics costs a request, and what a scrape costs.

1. The request figures: the same app with RequestGuard counting (metrics=ProcessMetrics, as
   create_app wires it) and without (metrics=None), 2000 requests each through the whole ASGI
   stack in process (GET /healthz: no database, so the guard's share is as large as it gets),
   alternating A/B rounds; medians of the per-request time. Plus the bare cost of one
   ProcessMetrics.request() call (timeit).
2. A scrape: GET /metrics with N deliveries stored (their count by state and channel is the
   query that grows with the table).

    python bench/metrics_overhead.py [--database-url URL] [--deliveries N] [--out bench/results/metrics_overhead]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import timeit
import uuid
from pathlib import Path

import httpx
from starlette.middleware import Middleware

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import NewDelivery, enqueue
from tessera.delivery.models import Channel
from tessera.edge.guard import RequestGuard
from tessera.edge.metrics import ProcessMetrics
from tessera.main import create_app
from tessera.migrate import upgrade_database
from tessera.onboarding.organizations import check_create_organization

REQUESTS = 2000
ROUNDS = 7


def _app(settings: Settings, *, counting: bool):  # type: ignore[no-untyped-def]
    app = create_app(settings)
    if not counting:
        app.user_middleware = [Middleware(RequestGuard, edges=m.kwargs["edges"]) if m.cls is RequestGuard else m
                               for m in app.user_middleware]
    return app


async def _per_request_us(app, path: str, headers: dict[str, str] | None = None) -> float:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(50):  # warm up
            await client.get(path, headers=headers)
        started = time.perf_counter()
        for _ in range(REQUESTS):
            response = await client.get(path, headers=headers)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
    return elapsed / REQUESTS * 1e6


async def _guard_only_us(metrics: ProcessMetrics | None) -> float:
    """RequestGuard around an app that answers at once, called directly: the guard's own cost
    without the noise of the rest of the stack."""
    async def answer(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    from tessera.main import EDGES

    guard = RequestGuard(answer, edges=EDGES, metrics=metrics)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message) -> None:  # type: ignore[no-untyped-def]
        pass

    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(REQUESTS):
            await guard({"type": "http", "method": "GET", "path": "/v2/myself", "headers": []}, receive, send)
        best = min(best, time.perf_counter() - started)
    return best / REQUESTS * 1e6


async def _plant(settings: Settings, count: int) -> None:
    database = Database(settings)
    try:
        async with database.unit_of_work() as session:
            new = await check_create_organization(session, key=f"MB{uuid.uuid4().hex[:6].upper()}", name="Bench",
                                                  admin_email="bench@example.test", admin_password=None)
        organization_id = new.organization.id
        channels = list(Channel)
        for start in range(0, count, 5000):
            async with database.unit_of_work() as session:
                await enqueue(session, [NewDelivery(organization_id=organization_id, channel=channels[n % len(channels)],
                                                    target=f"bench-{n}", idempotency_key=f"bench-metrics-{organization_id}-{n}",
                                                    payload={}, event_type="issue_created")
                                        for n in range(start, min(start + 5000, count))])
    finally:
        await database.dispose()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--out", default="bench/results/metrics_overhead")
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    url = args.database_url
    settings = Settings(database_url=url)
    with_metrics, without = _app(settings, counting=True), _app(settings, counting=False)
    on, off = [], []
    for _ in range(ROUNDS):
        off.append(await _per_request_us(without, "/healthz"))
        on.append(await _per_request_us(with_metrics, "/healthz"))
    guard_off, guard_on = [], []
    for _ in range(ROUNDS):
        guard_off.append(await _guard_only_us(None))
        guard_on.append(await _guard_only_us(ProcessMetrics()))
    metrics = ProcessMetrics()
    call_ns = min(timeit.repeat(lambda: metrics.request("v2", 200, 0.0123), number=100_000, repeat=5)) / 100_000 * 1e9
    await _plant(settings, args.deliveries)
    scrape_ms = []
    transport = httpx.ASGITransport(app=with_metrics, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(20):
            started = time.perf_counter()
            assert (await client.get("/metrics")).status_code == 200
            scrape_ms.append((time.perf_counter() - started) * 1000)
    for app in (with_metrics, without):
        await app.state.database.dispose()
    result = {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "requests_per_round": REQUESTS, "rounds": ROUNDS,
        "healthz_us_without_counting_median": round(statistics.median(off), 1),
        "healthz_us_with_counting_median": round(statistics.median(on), 1),
        "difference_us_median": round(statistics.median(on) - statistics.median(off), 2),
        "rounds_us_without": [round(v, 1) for v in off], "rounds_us_with": [round(v, 1) for v in on],
        "guard_only_us_without_counting_median": round(statistics.median(guard_off), 2),
        "guard_only_us_with_counting_median": round(statistics.median(guard_on), 2),
        "guard_only_difference_us": round(statistics.median(guard_on) - statistics.median(guard_off), 2),
        "process_metrics_request_call_ns": round(call_ns, 1),
        "deliveries_stored": args.deliveries,
        "scrape_ms_median": round(statistics.median(scrape_ms), 2), "scrape_ms_max": round(max(scrape_ms), 2),
    }
    out = Path(args.out + f"-{result['database']}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    arguments = _arguments()
    if arguments.database_url is None:
        arguments.database_url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade_database(arguments.database_url)  # before the event loop: it runs one of its own
    asyncio.run(main(arguments))
