"""INSERT ... ON CONFLICT DO NOTHING, which PostgreSQL and SQLite spell alike but SQLAlchemy
builds per dialect: one home for the choice."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_ignoring(dialect: str, table: Table | type[DeclarativeBase], *,
                    index_elements: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    """A row that would break a unique constraint (the one over `index_elements` when given, any
    otherwise) is skipped and the statement goes on. On PostgreSQL it first waits for a concurrent,
    uncommitted insert of the same key, then skips the row if that one committed."""
    return INSERTS[dialect](table).on_conflict_do_nothing(index_elements=index_elements)
