"""The `timeframe` argument of the dashboard query: how far back to look, as a duration
("24h", "7d", "2w", "6months", "1y", JQL's "-30d" also reads) or "all"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tessera.errors import InvalidInput

_UNITS = {"m": timedelta(minutes=1), "min": timedelta(minutes=1), "minute": timedelta(minutes=1),
          "h": timedelta(hours=1), "hour": timedelta(hours=1), "d": timedelta(days=1), "day": timedelta(days=1),
          "w": timedelta(weeks=1), "week": timedelta(weeks=1), "mo": timedelta(days=30),
          "month": timedelta(days=30), "y": timedelta(days=365), "year": timedelta(days=365)}
_DURATION = re.compile(r"^-?\s*([0-9]{1,6})\s*([a-z]+?)s?$")
_ALL = frozenset({"", "all", "all time", "ever"})
_LONGEST = timedelta(days=365 * 100)
EXAMPLES = "24h, 7d, 2w, 6months, 1y or all"


@dataclass(frozen=True)
class Timeframe:
    text: str
    span: timedelta | None  # None: no bound
    now: datetime

    @property
    def since(self) -> datetime | None:
        return None if self.span is None else self.now - self.span

    @property
    def jql_bound(self) -> str | None:
        """The same bound as a JQL relative date (in minutes, JQL's smallest unit)."""
        return None if self.span is None else f"-{int(self.span.total_seconds() // 60)}m"


def parse_timeframe(text: str | None, *, field: str = "timeframe", now: datetime | None = None) -> Timeframe:
    now = now or datetime.now(UTC)
    cleaned = (text or "").strip().lower()
    if cleaned in _ALL:
        return Timeframe(text=cleaned or "all", span=None, now=now)
    match = _DURATION.match(cleaned)
    unit = _UNITS.get(match.group(2)) if match else None
    if match is None or unit is None or int(match.group(1)) == 0:
        raise InvalidInput(f"'{(text or '')[:40]}' is not a timeframe; use a duration like {EXAMPLES}.", field=field)
    return Timeframe(text=cleaned, span=min(unit * int(match.group(1)), _LONGEST), now=now)
