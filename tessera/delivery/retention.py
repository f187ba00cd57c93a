"""Purging deliveries in chunks, each chunk its own transaction: a purge of millions of rows
(the first run of the retention after months, or an operator's `tessera deliveries purge`) never
holds its row locks, or SQLite's single write lock, for longer than one chunk takes, so workers
settling deliveries and requests writing issues go on between two chunks."""

from __future__ import annotations

from tessera.db.engine import Database
from tessera.delivery.operations import PURGE_CHUNK, SETTLED, do_purge_deliveries


async def purge_deliveries(database: Database, *, organization_id: int | None, states: tuple[str, ...] = SETTLED,
                           older_than_days: float | None, chunk: int = PURGE_CHUNK) -> int:
    """Delete what do_purge_deliveries selects, `chunk` rows per transaction, until a chunk comes
    back short; returns how many in all. Not atomic as a whole (a purge interrupted halfway has
    deleted its first chunks, which is what a purge is for); each chunk is."""
    total = 0
    while True:
        async with database.unit_of_work() as session:
            done = await do_purge_deliveries(session, organization_id=organization_id, states=states,
                                             older_than_days=older_than_days, limit=chunk)
        total += done
        if done < chunk:
            return total
