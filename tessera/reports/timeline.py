"""Field values over time, replayed from the change history.

An issue's value of a field at any instant is the `to` of its last change up to then; before
its first change it is that change's `from`; with no change at all it is the current value.
So the current row plus the history items give every past value, and a report computed this
way gives the same answer for a past date today as it would have given on that date."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Row, Select, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tessera.issues.models import ChangeItem

CHUNK = 5_000  # ids per IN list: well under every driver's parameter limit


@dataclass
class Timeline:
    """One field of one issue: `times` ascending, and the (from, to) raw values of each change."""

    current: str | None
    times: list[datetime] = field(default_factory=list)
    befores: list[str | None] = field(default_factory=list)
    afters: list[str | None] = field(default_factory=list)

    def add(self, at: datetime, before: str | None, after: str | None) -> None:
        self.times.append(at)
        self.befores.append(before)
        self.afters.append(after)

    def value_at(self, moment: datetime, *, inclusive: bool = True) -> str | None:
        """The value at `moment`, counting a change made exactly then only when `inclusive`."""
        if not self.times:
            return self.current
        index = (bisect_right if inclusive else bisect_left)(self.times, moment)
        return self.afters[index - 1] if index > 0 else self.befores[0]

    def changes_between(self, start: datetime, stop: datetime, *, stop_inclusive: bool) -> list[datetime]:
        """Times of changes in (start, stop] (or (start, stop))."""
        low = bisect_right(self.times, start)
        high = (bisect_right if stop_inclusive else bisect_left)(self.times, stop)
        return self.times[low:high]


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[list[int]]:
    for offset in range(0, len(ids), size):
        yield list(ids[offset:offset + size])


async def rows_for_ids(connection: AsyncConnection, query: Callable[[ColumnElement[bool]], Select], column: Any,
                       ids: Sequence[int]) -> list[Row]:
    """`query(condition)` for the rows whose `column` is one of `ids`: one statement with an array
    parameter on PostgreSQL (`= ANY($1)`: no giant IN list to render, and an index probe per id),
    a statement per CHUNK ids elsewhere. Rows of one id all come from one statement, in its order."""
    if not ids:
        return []
    if connection.dialect.name == "postgresql":
        wanted = bindparam("wanted_ids", value=list(ids), type_=ARRAY(BigInteger))
        return list((await connection.execute(query(column == any_(wanted)))).all())
    rows: list[Row] = []
    for part in chunks(list(ids)):
        rows += (await connection.execute(query(column.in_(part)))).all()
    return rows


Histories = dict[int, dict[str, list[tuple[datetime, str | None, str | None]]]]


async def load_histories(session: AsyncSession, *, organization_id: int, issue_ids: Sequence[int],
                         field_ids: Sequence[str]) -> Histories:
    """{issue id: {field id: [(at, from, to)] oldest first}} for the wanted fields, over the
    (organization_id, field_id, issue_id) index."""
    found: Histories = defaultdict(lambda: defaultdict(list))
    if not field_ids or not issue_ids:
        return found
    items = ChangeItem.__table__.c

    def query(condition: ColumnElement[bool]) -> Select:
        return select(items.issue_id, items.field_id, items.created_at, items.from_value, items.to_value).where(
            items.organization_id == organization_id, items.field_id.in_(list(field_ids)), condition
        ).order_by(items.created_at, items.id)

    for issue_id, field_id, at, before, after in await rows_for_ids(await session.connection(), query,
                                                                    items.issue_id, issue_ids):
        found[issue_id][field_id].append((at, before, after))
    return found


def timeline(history: dict[str, list[tuple[datetime, str | None, str | None]]] | None, field_id: str,
             current: str | None) -> Timeline:
    line = Timeline(current)
    for at, before, after in (history or {}).get(field_id, ()):
        line.add(at, before, after)
    return line


def number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
