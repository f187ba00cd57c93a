"""What the services left in the outbox, read back for assertions."""

from __future__ import annotations

import asyncio
import json

from tests.support import OrgHandle, fetch_rows_async


async def events_async(database_url: str, org: OrgHandle, *types: str) -> list[dict]:
    """The organization's outbox rows in the order written (event_type, aggregate_type,
    aggregate_id, payload as a dict on both backends), only of `types` when any are named."""
    rows = await fetch_rows_async(database_url, "SELECT event_type, aggregate_type, aggregate_id, payload "
                                                "FROM outbox_events WHERE organization_id = :org ORDER BY id",
                                  {"org": org.organization_id})
    for row in rows:
        if isinstance(row["payload"], str):
            row["payload"] = json.loads(row["payload"])
    return [row for row in rows if not types or row["event_type"] in types]


def events(database_url: str, org: OrgHandle, *types: str) -> list[dict]:
    """events_async for synchronous tests."""
    return asyncio.run(events_async(database_url, org, *types))
