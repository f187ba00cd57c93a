"""Rows of an organization: loading one by its id (another organization's row answers exactly
like a missing one, NotFound, so ids never reveal other tenants) and saving a versioned one
without losing a concurrent update."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.errors import Conflict, NotFound

Row = TypeVar("Row")


async def load_scoped(session: AsyncSession, model: type[Row], *, organization_id: int, row_id: object,
                      missing: str) -> Row:
    """`model` has `organization_id` and `id` columns; `missing` is the NotFound message."""
    table: Any = model
    row = await session.scalar(select(table).where(table.organization_id == organization_id, table.id == row_id))
    if row is None:
        raise NotFound(missing)
    return row


async def save_versioned(session: AsyncSession, row: Any, values: dict[str, Any], *, conflict: str) -> None:
    """Compare-and-set on `version`, so that of two writers who read the same version exactly
    one wins; the other gets a Conflict with the `conflict` message. `row` keeps its old values:
    refresh it to read the new ones."""
    table = type(row)
    result = await session.execute(
        update(table).where(table.id == row.id, table.organization_id == row.organization_id,
                            table.version == row.version)
        .values(**values, version=row.version + 1, updated_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(conflict, code="version_conflict")
