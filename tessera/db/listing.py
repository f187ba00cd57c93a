"""Listing named things (filters, dashboards, boards) the same way everywhere: a name filter
that matches a case-insensitive substring taken literally, and a page ordered by name, then id,
with the total of the whole list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


def name_contains(column: Any, text: str) -> ColumnElement[bool]:
    """`%`, `_` and `\\` in `text` match themselves, not any characters."""
    pattern = "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return func.lower(column).like(pattern, escape="\\")


async def page_by_name(session: AsyncSession, query: Select[Any], *, name: Any, row_id: Any, start_at: int,
                       max_results: int) -> tuple[list[Any], int]:
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (await session.scalars(query.order_by(func.lower(name), row_id).offset(start_at).limit(max_results))).all()
    return list(rows), total
