"""Time windows of reports: `period=6months` back from now, or explicit `from`/`to`.

Everything is UTC. A date alone means the start of that day for `from` and the end of that day
(the next midnight, exclusive) for `to`, so `from=2026-03-01&to=2026-03-31` is all of March."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tessera.errors import InvalidInput

DAY = timedelta(days=1)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_PERIOD = re.compile(r"^\s*([0-9]{1,4})\s*(d|days?|w|weeks?|months?|mo|y|years?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive

    @property
    def days(self) -> int:
        return max(1, -(-int((self.end - self.start).total_seconds()) // 86_400))


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _minus_months(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    if year < 1970:
        return EARLIEST
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def period_start(text: str, now: datetime, *, field: str = "period") -> datetime:
    """The moment `text` ("30d", "2w", "6months", "1y") before `now`."""
    match = _PERIOD.match(text or "")
    if match is None:
        raise InvalidInput("A period is a number and a unit: 30d, 2w, 6months or 1y.", field=field)
    count, unit = int(match.group(1)), match.group(2).lower()
    if count < 1:
        raise InvalidInput("A period is at least one day.", field=field)
    if unit.startswith("d"):
        start = now - timedelta(days=count)
    elif unit.startswith("w"):
        start = now - timedelta(weeks=count)
    elif unit.startswith("y"):
        start = _minus_months(now, 12 * count)
    else:
        start = _minus_months(now, count)
    return max(start, EARLIEST)


def parse_moment(text: str | None, *, field: str, end_of_day: bool) -> datetime | None:
    """An ISO date or date-time; a bare date is the start (or, for `end_of_day`, the end) of that day."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + (DAY if end_of_day else timedelta())
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput("A date is ISO 8601: 2026-03-01 or 2026-03-01T09:00:00Z.", field=field) from None
    if not EARLIEST <= moment <= LATEST:
        raise InvalidInput("Dates are between 1970 and 9000.", field=field)
    return moment


def report_window(*, start: str | None, end: str | None, period: str | None, default_period: str,
                  now: datetime, max_days: int) -> Window:
    """`from`/`to` when given (`to` defaults to now), else `period` back from `to`."""
    finish = parse_moment(end, field="to", end_of_day=True) or now
    begin = parse_moment(start, field="from", end_of_day=False)
    if begin is None:
        begin = period_start(period or default_period, finish)
    if begin >= finish:
        raise InvalidInput("`from` is before `to`.", field="from")
    window = Window(begin, finish)
    if window.days > max_days:
        raise InvalidInput(f"This report covers at most {max_days} days; narrow the window.", field="from")
    return window


def day_floor(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def week_floor(moment: datetime) -> datetime:
    """The Monday 00:00 of the ISO week holding `moment`."""
    return day_floor(moment) - timedelta(days=moment.weekday())
