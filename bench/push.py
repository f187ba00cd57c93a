"""Web Push sender throughput: deliveries/s through the delivery runner and the push sender
(aes128gcm encryption per browser, VAPID header, POST through the guarded outbound client) to
a local push service (an aiohttp server on loopback answering 201), on a fresh database.

    .venv/bin/python bench/push.py --backend postgres --deliveries 2000

Each delivery goes to one recipient with one subscribed browser. Reported: deliveries/s for the
whole drain (claim, load subscriptions and names, encrypt, send, settle), and the encryption
alone per message (the CPU part that grows with browsers)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pywebpush import WebPusher  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from tessera.config import Settings  # noqa: E402
from tessera.db.engine import Database  # noqa: E402
from tessera.delivery.engine import DeliveryRunner, NewDelivery, RetryPolicy, SenderRegistry, enqueue  # noqa: E402
from tessera.delivery.models import Channel, Delivery  # noqa: E402
from tessera.notifications.push.sender import PushSender  # noqa: E402
from tessera.notifications.push.subscriptions import SubscriptionInput, check_subscribe  # noqa: E402
from tessera.notifications.push.vapid import generate_vapid_keys, signer_for  # noqa: E402
from tessera.tenancy.auth import authenticate_token  # noqa: E402
from tests.notifications.push.receiver import Browser  # noqa: E402
from tests.support import fresh_postgres_database, fresh_sqlite_database, make_org_async  # noqa: E402


async def run(database_url: str, deliveries: int) -> dict:
    received = 0

    async def accept(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/push/{name}", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    keys = generate_vapid_keys()
    settings = Settings(database_url=database_url, outbound_allow_private=True, vapid_private_key=keys.private_key)
    database = Database(settings)
    org = await make_org_async(database_url, password=None)
    browser = Browser(f"http://127.0.0.1:{port}/push/one")
    async with database.unit_of_work() as session:
        actor = await authenticate_token(session, org.token, touch=False)
        await check_subscribe(session, actor=actor, allow_http=True, data=SubscriptionInput(
            browser.endpoint, browser.subscription["keys"]["p256dh"], browser.subscription["keys"]["auth"]))
        await enqueue(session, [NewDelivery(
            organization_id=org.organization_id, channel=Channel.PUSH, target="bench", target_id=org.admin_user_id,
            idempotency_key=f"bench-{n}", event_type="issue_updated",
            payload={"kind": "issue", "recipient_id": org.admin_user_id, "issue_id": None, "issue_key": f"B-{n}",
                     "changes": [{"event_id": n, "event_type": "issue_updated", "actor_id": org.admin_user_id,
                                  "at": "2026-01-01T00:00:00Z", "payload": {"field_changes": {
                                      "summary": {"from": "a", "to": "b"}}}}]}) for n in range(deliveries)])
    signer = signer_for(settings)
    assert signer is not None
    sender = PushSender(database, settings, signer, concurrency=int(os.environ.get("PUSH_CONCURRENCY", "64")))
    senders = SenderRegistry()
    senders.register(Channel.PUSH, sender)
    started = time.perf_counter()
    while await DeliveryRunner(database, senders, RetryPolicy(), batch_size=200).run_once():
        pass
    elapsed = time.perf_counter() - started
    async with database.unit_of_work(write=False) as session:
        states = dict((await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all())
    pusher = WebPusher(browser.subscription)
    text = json.dumps({"title": "SHOP-12 Cart total ignores coupon", "body": "Ada changed summary: a → b",
                       "url": "https://t.example/browse/SHOP-12", "tag": "SHOP-12"}).encode()
    encrypt_started = time.perf_counter()
    for _ in range(500):
        pusher.encode(text, content_encoding="aes128gcm")
    encrypt_ms = (time.perf_counter() - encrypt_started) / 500 * 1000
    await sender.aclose()
    await database.dispose()
    await runner.cleanup()
    return {"deliveries": deliveries, "seconds": round(elapsed, 2), "deliveries_per_second": round(deliveries / elapsed),
            "received": received, "states": states, "encrypt_ms_per_message": round(encrypt_ms, 3),
            "backend": database_url.split(":", 1)[0], "cpus": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--deliveries", type=int, default=2000)
    args = parser.parse_args()
    if args.backend == "postgres":
        with fresh_postgres_database() as url:
            result = asyncio.run(run(url, args.deliveries))
    else:
        with tempfile.TemporaryDirectory() as directory, fresh_sqlite_database(directory) as url:
            result = asyncio.run(run(url, args.deliveries))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
