"""The planner's row estimate for a query (PostgreSQL), for choosing how to run it.

EXPLAIN as a SQLAlchemy construct (the recipe from SQLAlchemy's documentation), so the query's
parameters are bound and typed exactly as they would be for running it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable, Select


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _explain_postgresql(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


async def estimated_rows(session: AsyncSession, statement: Select[Any]) -> float:
    """Rows PostgreSQL expects `statement` to return (planning only: nothing runs)."""
    plan = (await session.execute(_Explain(statement))).scalar_one()
    if isinstance(plan, str):  # asyncpg hands json back as text
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])
