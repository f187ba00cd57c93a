"""At-least-once through a crash, on SQLite and PostgreSQL: a worker process SIGKILLed in the
middle of sending leaves its leased deliveries to the next worker once the lease runs out; every
delivery reaches the receiver, and a receiver that honours the idempotency key sees each once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import NewDelivery, enqueue
from tessera.delivery.models import Channel, Delivery, DeliveryState
from tests.conftest import BACKENDS
from tests.factories.receiver import http_receiver
from tests.support import fresh_database, make_org_async

DELIVERIES = 300


@pytest.fixture(scope="module", params=BACKENDS)
def crash_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                       postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("crash")), postgres_skip_reason) as url:
        yield url


def start_worker(database_url: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "tests.factories.delivery_worker", database_url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


async def states(database_url: str) -> dict[str, int]:
    database = Database(Settings(database_url=database_url))
    async with database.unit_of_work(write=False) as session:
        found = dict((await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all())
    await database.dispose()
    return found


def test_a_worker_killed_mid_batch_loses_nothing(crash_database_url: str) -> None:
    org = asyncio.run(make_org_async(crash_database_url))
    with http_receiver() as receiver:
        async def enqueue_all() -> None:
            database = Database(Settings(database_url=crash_database_url))
            async with database.unit_of_work() as session:
                await enqueue(session, [NewDelivery(
                    organization_id=org.organization_id, channel=Channel.WEBHOOK, target=f"{receiver.url}/hook",
                    idempotency_key=f"crash-{n}", payload={"n": n}, event_type="issue_updated")
                    for n in range(DELIVERIES)])
            await database.dispose()

        asyncio.run(enqueue_all())
        first = start_worker(crash_database_url)
        deadline = time.monotonic() + 60
        while len(receiver.requests) < DELIVERIES // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)  # no clean-up of any kind: leases stay taken
        first.wait()
        assert 0 < len(receiver.requests) < DELIVERIES, "the kill must land mid-run"
        assert asyncio.run(states(crash_database_url)).get(DeliveryState.SENDING, 0) > 0

        second = start_worker(crash_database_url)
        deadline = time.monotonic() + 120
        while asyncio.run(states(crash_database_url)) != {DeliveryState.DELIVERED: DELIVERIES}:
            assert time.monotonic() < deadline, asyncio.run(states(crash_database_url))
            time.sleep(0.2)
        second.send_signal(signal.SIGKILL)
        second.wait()

        seen = Counter(r.headers.get("x-tessera-delivery", "") for r in receiver.requests)
        assert set(seen) == {f"crash-{n}" for n in range(DELIVERIES)}  # none lost
        # At-least-once: what the killed worker had sent but not settled came again, with its key.
        assert sum(seen.values()) >= DELIVERIES
