"""INSERT ... ON CONFLICT DO UPDATE ... WHERE, for rows that carry their own ordering number:
PostgreSQL and SQLite spell it alike but SQLAlchemy builds it per dialect (the choice's home is
tessera.db.insert_ignoring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table

from tessera.db.insert_ignoring import INSERTS


def upsert_if_newer(dialect: str, table: Table, *, index_elements: Sequence[str], values: dict[str, Any],
                    order_column: str, keep: Sequence[str] = ("id", "created_at")):  # type: ignore[no-untyped-def]
    """Inserts the row, or replaces the stored one of the same key only when `values` carries a
    greater `order_column`; RETURNING the id means the row was written, no row means a newer one
    was already there. Atomic under concurrency: on PostgreSQL a concurrent writer of the same key
    waits for the row lock and then compares against the committed number, so an older report
    never overwrites a newer one, whichever commits first. `keep`: columns an update leaves."""
    insert = INSERTS[dialect](table).values(**values)
    changes = {name: insert.excluded[name] for name in values if name not in (*index_elements, *keep)}
    return insert.on_conflict_do_update(
        index_elements=list(index_elements), set_=changes,
        where=table.c[order_column] < insert.excluded[order_column]).returning(table.c.id)
