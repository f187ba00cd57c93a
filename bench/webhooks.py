"""Webhook sending throughput of one worker process: deliveries/s from the queue to a local
receiver and settled, through the real pipeline (claim with a lease, sign, POST over the shared
keep-alive client, settle with an attempt row each).

    .venv/bin/python bench/webhooks.py --backend postgres --deliveries 20000

Set-up: a fresh database, one organization with one webhook pointing at a uvicorn receiver in
its own process (answers 204 at once, counts the distinct X-Tessera-Delivery ids it saw), and
--deliveries queued deliveries carrying a Jira-shaped body of about 3 kB (an issue_created
payload as the fan-out renders it). Then this process runs the delivery loop until every
delivery is delivered and reports the rate. Fan-out (rendering) is not part of this figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tessera.config import Settings  # noqa: E402
from tessera.crypto.secret_box import SecretBox  # noqa: E402
from tessera.db.engine import Database  # noqa: E402
from tessera.delivery.engine import NewDelivery, enqueue  # noqa: E402
from tessera.delivery.models import Channel, Delivery, DeliveryAttempt, DeliveryState  # noqa: E402
from tessera.webhooks.models import Webhook  # noqa: E402
from tessera.workers.registry import build_pipeline  # noqa: E402
from tests.factories.ports import free_port  # noqa: E402
from tests.support import fresh_database, make_org_async  # noqa: E402

RECEIVER = """
import sys, uvicorn
seen = set()
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["path"] == "/count":
        body = str(len(seen)).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    seen.add(dict(scope["headers"]).get(b"x-tessera-delivery"))
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def body() -> dict:
    issue = {"id": "10042", "self": "http://127.0.0.1/rest/api/2/issue/10042", "key": "OPS-7",
             "fields": {"summary": "Disk alert on db-2", "description": "x" * 1500,
                        "status": {"id": "1", "name": "To Do"}, "labels": ["ops", "db"],
                        "reporter": {"name": "ana@example.test", "displayName": "Ana"}}}
    return {"timestamp": 1717000000000, "webhookEvent": "jira:issue_created",
            "issue_event_type_name": "issue_created", "user": {"name": "ana@example.test"}, "issue": issue}


async def run(url: str, deliveries: int, port: int) -> dict:
    settings = Settings(database_url=url, outbound_allow_private=True, delivery_concurrency=64)
    org = await make_org_async(url, password=None)
    database = Database(settings)
    target = f"http://127.0.0.1:{port}/hook"
    async with database.unit_of_work() as session:
        webhook = Webhook(organization_id=org.organization_id, name="bench", url=target, events=["jira:issue_created"],
                          jql="", enabled=True, exclude_body=False,
                          secret_encrypted=SecretBox.from_settings(settings).encrypt("bench-secret"),
                          owner_id=org.admin_user_id, consecutive_failures=0, version=1)
        session.add(webhook)
        await session.flush()
        payload = {"url": target, "webhookEvent": "jira:issue_created", "body": body()}
        for start in range(0, deliveries, 2000):
            await enqueue(session, [NewDelivery(organization_id=org.organization_id, channel=Channel.WEBHOOK,
                                                target=target, target_id=webhook.id,
                                                idempotency_key=f"bench:{start + n}", payload=payload,
                                                event_type="issue_created")
                                    for n in range(min(2000, deliveries - start))])
    pipeline = build_pipeline(settings, database)
    started = time.perf_counter()
    while await pipeline.deliveries.run_once():
        pass
    elapsed = time.perf_counter() - started
    async with database.unit_of_work(write=False) as session:
        delivered = await session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.state == DeliveryState.DELIVERED.value))
        attempts = await session.scalar(select(func.count()).select_from(DeliveryAttempt))
        failed = await session.scalar(select(func.count()).select_from(DeliveryAttempt).where(
            DeliveryAttempt.ok.is_(False)))
    await pipeline.senders.senders["webhook"].aclose()  # type: ignore[attr-defined]
    await database.dispose()
    return {"deliveries": deliveries, "delivered": delivered, "seconds": round(elapsed, 2),
            "deliveries_per_second": round(delivered / elapsed, 1),
            "attempts": attempts, "failed_attempts": failed, "batch_size": pipeline.deliveries.batch_size,
            "concurrency": settings.delivery_concurrency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    try:
        time.sleep(1.5)
        with fresh_database(args.backend, tempfile.mkdtemp(), None) as url:
            result = asyncio.run(run(url, args.deliveries, port))
        import httpx
        result["receiver_distinct_ids"] = int(httpx.get(f"http://127.0.0.1:{port}/count").text)
    finally:
        receiver.terminate()
        receiver.wait()
    result.update(backend=args.backend, machine=f"{platform.machine()}, {os.cpu_count()} cores",
                  python=platform.python_version())
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
