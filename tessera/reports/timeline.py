"""Field values over time, replayed from the change history.

An issue's value of a field at any instant is the `to` of its last change up to then; before
its first change it is that change's `from`; with no change at all it is the current value.
So the current row plus the history items give every past value, and a report computed this
way gives the same answer for a past date today as it would have given on that date."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

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


Histories = dict[int, dict[str, list[tuple[datetime, str | None, str | None]]]]


async def load_histories(session: AsyncSession, *, organization_id: int, issue_ids: Sequence[int] | Select,
                         field_ids: Sequence[str]) -> Histories:
    """{issue id: {field id: [(at, from, to)] oldest first}} for the wanted fields. One query
    (per CHUNK ids when given a list) over the (organization_id, field_id, issue_id) index."""
    found: Histories = defaultdict(lambda: defaultdict(list))
    if not field_ids:
        return found
    base = select(ChangeItem.issue_id, ChangeItem.field_id, ChangeItem.created_at, ChangeItem.from_value,
                  ChangeItem.to_value).where(ChangeItem.organization_id == organization_id,
                                             ChangeItem.field_id.in_(list(field_ids)))
    order = (ChangeItem.created_at, ChangeItem.id)
    queries = [base.where(ChangeItem.issue_id.in_(issue_ids)).order_by(*order)] if isinstance(issue_ids, Select) \
        else [base.where(ChangeItem.issue_id.in_(part)).order_by(*order) for part in chunks(list(issue_ids))]
    for query in queries:
        for issue_id, field_id, at, before, after in (await session.execute(query)).all():
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
