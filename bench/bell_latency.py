"""Bell latency: from the commit of an inbox entry in a worker process's unit of work (its
NotificationAdded published to Redis by tessera.live.publisher) to the message on the user's
/v2/notifications/live socket of a server (a real `tessera serve`, SQLite, Redis).

    .venv/bin/python bench/bell_latency.py --entries 300 --rate 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tessera.config import Settings  # noqa: E402
from tessera.db.engine import Database  # noqa: E402
from tessera.live.publisher import LivePublisher  # noqa: E402
from tests.factories.notifications import add_notification_async  # noqa: E402
from tests.factories.ports import free_port  # noqa: E402

REDIS_URL = os.environ.get("TESSERA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TESSERA = Path(sys.executable).with_name("tessera")


async def measure(url: str, settings: Settings, created: dict, entries: int, rate: float) -> list[float]:
    database = Database(settings)
    publisher = LivePublisher.attach(settings, database)
    assert publisher is not None
    await publisher.start()
    committed: dict[int, float] = {}
    arrived: dict[int, float] = {}
    headers = {"Authorization": f"Bearer {created['api_token']}"}
    async with connect(url.replace("http", "ws") + "/v2/notifications/live", additional_headers=headers) as socket:
        assert json.loads(await socket.recv())["type"] == "subscribed"

        async def read() -> None:
            while len(arrived) < entries:
                message = json.loads(await socket.recv())
                if message["type"] == "notification_added":
                    arrived[message["notification_id"]] = time.monotonic()

        reader = asyncio.create_task(read())
        for n in range(entries):
            await add_notification_async(database, organization_id=created["organization_id"],
                                         user_id=created["admin_user_id"], notification_id=n, unread=n + 1)
            committed[n] = time.monotonic()
            await asyncio.sleep(1 / rate)
        await asyncio.wait_for(reader, 30)
    await publisher.stop()
    await database.dispose()
    return [max(0.0, arrived[n] - committed[n]) * 1000 for n in range(entries)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite:///{directory}/bell.db"
        key = f"BL{uuid.uuid4().hex[:6].upper()}"
        out = subprocess.run([str(TESSERA), "create-org", key, "--name", "Bell", "--admin-email", f"a@{key}.test",
                              "--admin-password", "bell-bench-password", "--json", "--database-url", database_url],
                             capture_output=True, text=True, check=True)
        created = json.loads(out.stdout.strip().splitlines()[-1])
        prefix = f"bench-{uuid.uuid4().hex[:6]}"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([str(TESSERA), "serve", "--port", str(port), "--database-url", database_url,
                                   "--redis-url", REDIS_URL],
                                  env={**os.environ, "TESSERA_LOG_LEVEL": "WARNING",
                                       "TESSERA_LIVE_CHANNEL_PREFIX": prefix},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            settings = Settings(database_url=database_url, redis_url=REDIS_URL, live_channel_prefix=prefix)
            delays = sorted(asyncio.run(measure(url, settings, created, args.entries, args.rate)))
        finally:
            server.terminate()
            server.wait(timeout=10)
    p95 = delays[int(len(delays) * 0.95) - 1]
    print(json.dumps({"entries": len(delays), "rate_per_s": args.rate, "p50_ms": round(statistics.median(delays), 2),
                      "p95_ms": round(p95, 2), "max_ms": round(delays[-1], 2), "lost": args.entries - len(delays),
                      "load_average": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
