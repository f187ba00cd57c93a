"""One row of an organization by its id. Another organization's row answers exactly like a
missing one (NotFound), whatever the table, so ids never reveal other tenants."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import NotFound

Row = TypeVar("Row")


async def load_scoped(session: AsyncSession, model: type[Row], *, organization_id: int, row_id: object,
                      missing: str) -> Row:
    """`model` has `organization_id` and `id` columns; `missing` is the NotFound message."""
    table: Any = model
    row = await session.scalar(select(table).where(table.organization_id == organization_id, table.id == row_id))
    if row is None:
        raise NotFound(missing)
    return row
