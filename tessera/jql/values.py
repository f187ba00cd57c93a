"""Dates and durations as JQL writes them, all in UTC.

Absolute: "2026/01/31", "2026-01-31", either with " 14:00". Relative to now: a signed sum
of w/d/h/m parts ("-1w", "-2d 4h", "1d", "-30m"); no sign means the future. Date functions:
now(), startOfDay/Week/Month/Year and endOf… with an optional offset ("-1d", "+1w", -1, "1M"),
applied after rounding to the period (startOfMonth("+14d") is the 15th). Weeks start on Monday."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

from tessera.db.refs import parse_decimal

_ABSOLUTE = re.compile(r"^\s*([0-9]{4})[/-]([0-9]{1,2})[/-]([0-9]{1,2})(?:\s+([0-9]{1,2}):([0-9]{2}))?\s*$")
_RELATIVE = re.compile(r"^\s*([+-]?)\s*((?:[0-9]{1,6}\s*[wdhm]\s*)+)$")
_PART = re.compile(r"([0-9]{1,6})\s*([wdhm])")
_OFFSET = re.compile(r"^\s*([+-]?)\s*([0-9]{1,6})\s*([yMwdhm]?)\s*$")
_UNIT = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
PERIODS = ("day", "week", "month", "year")
_NATURAL_UNIT = {"day": "d", "week": "w", "month": "M", "year": "y"}


class DateValueError(ValueError):
    """The text is neither an absolute date, a relative date nor a valid offset."""


def parse_date_value(text: str, now: datetime) -> datetime:
    absolute = _ABSOLUTE.match(text)
    if absolute:
        year, month, day, hour, minute = absolute.groups()
        try:
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=UTC)
        except ValueError:
            raise DateValueError(text) from None
    relative = _RELATIVE.match(text)
    if relative:
        sign, body = relative.groups()
        total = sum((int(n) * _UNIT[unit] for n, unit in _PART.findall(body)), timedelta())
        try:
            return now - total if sign == "-" else now + total
        except OverflowError:
            raise DateValueError(text) from None
    raise DateValueError(text)


def parse_number(text: str) -> float:
    value = parse_decimal(text)
    if value is None:
        raise DateValueError(text)
    return value


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise DateValueError(str(months))
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def shift(moment: datetime, offset: str | None, period: str) -> datetime:
    """`moment` moved by an offset such as "-1d", "+1w", "-1" (the period's own unit), "1M"."""
    if offset is None or not offset.strip():
        return moment
    match = _OFFSET.match(offset)
    if not match:
        raise DateValueError(offset)
    sign, amount_text, unit = match.groups()
    amount = int(amount_text) * (-1 if sign == "-" else 1)
    unit = unit or _NATURAL_UNIT[period]
    try:
        if unit == "y":
            return _add_months(moment, 12 * amount)
        if unit == "M":
            return _add_months(moment, amount)
        return moment + amount * _UNIT[unit]
    except OverflowError:
        raise DateValueError(offset) from None


def start_of(period: str, now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def end_of(period: str, now: datetime) -> datetime:
    """The last millisecond of the period (Jira's 23:59:59.999)."""
    start = start_of(period, now)
    if period == "day":
        following = start + timedelta(days=1)
    elif period == "week":
        following = start + timedelta(weeks=1)
    elif period == "month":
        following = _add_months(start, 1)
    else:
        following = start.replace(year=start.year + 1)
    return following - timedelta(milliseconds=1)


def date_function(name: str, args: tuple[str, ...], now: datetime) -> datetime:
    """now(), startOfDay(...), endOfMonth(...)...; `name` already lower-cased."""
    if name == "now":
        return now
    offset = args[0] if args else None
    if name.startswith("startof") and name[7:] in PERIODS:
        period = name[7:]
        return shift(start_of(period, now), offset, period)
    if name.startswith("endof") and name[5:] in PERIODS:
        period = name[5:]
        match = _OFFSET.match(offset or "")
        if offset is None or not offset.strip() or (match and match.group(3) in ("", _NATURAL_UNIT[period])):
            # A whole-period offset moves the period, so endOfMonth(1) is the next month's last day.
            return end_of(period, shift(start_of(period, now), offset, period))
        return shift(end_of(period, now), offset, period)
    raise DateValueError(name)


def as_date(moment: datetime) -> date:
    return moment.date()
