"""A delivery worker process for the crash tests: `python -m tests.factories.delivery_worker URL`
sends due webhook-channel deliveries (POST to each one's `target`, with its idempotency key in
`X-Tessera-Delivery`) in small slow batches with a short lease, until it is killed or nothing has
been due for a while."""

from __future__ import annotations

import asyncio
import json
import sys

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, DeliveryRunner, OneAtATime, Outcome, RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.delivery.outbound_http import outbound_client

LEASE_SECONDS = 2.0


async def main(database_url: str) -> None:
    database = Database(Settings(database_url=database_url))
    async with outbound_client(allow_private=True) as client:
        async def post(delivery: ClaimedDelivery) -> Outcome:
            await asyncio.sleep(0.01)  # slow enough that a kill lands mid-batch
            response = await client.post(delivery.target, content=json.dumps(delivery.payload).encode(),
                                         headers={"X-Tessera-Delivery": delivery.idempotency_key})
            return Outcome.delivered(response.status_code) if response.is_success else Outcome.failed(
                f"HTTP {response.status_code}", status_code=response.status_code)

        senders = SenderRegistry()
        senders.register(Channel.WEBHOOK, OneAtATime(post, concurrency=8))
        runner = DeliveryRunner(database, senders, RetryPolicy(lease_seconds=LEASE_SECONDS, base_seconds=0.1),
                                batch_size=20)
        print("ready", flush=True)
        idle = 0.0
        while idle < 3 * LEASE_SECONDS:
            if await runner.run_once():
                idle = 0.0
            else:
                await asyncio.sleep(0.1)
                idle += 0.1
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
