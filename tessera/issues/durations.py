"""Jira durations: "3h 30m", "1d" (a day is 8 hours), "1w" (a week is 5 days), or seconds.

Shared by time tracking (estimates, which may be zero) and worklogs (time spent, at least a
minute); `format_duration` writes Jira's display form."""

from __future__ import annotations

import re

from tessera.db.refs import parse_decimal
from tessera.errors import InvalidInput

UNIT_SECONDS = {"w": 5 * 8 * 3600, "d": 8 * 3600, "h": 3600, "m": 60}
MAX_SECONDS = 10 * 365 * 8 * 3600
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([wdhm])", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _seconds_of(text: str, *, field: str, bare_unit: str | None) -> int:
    cleaned = text.strip().lower()
    if bare_unit is not None and _BARE_NUMBER.fullmatch(cleaned):
        total = float(cleaned) * UNIT_SECONDS[bare_unit]
    else:
        parts = _PART.findall(cleaned)
        if not parts or _PART.sub("", cleaned).strip():
            raise InvalidInput(f"Invalid duration '{text[:40]}': use weeks, days, hours and minutes, "
                               "e.g. '1d 3h 30m'.", field=field)
        total = sum(float(amount) * UNIT_SECONDS[unit] for amount, unit in parts)
    if not total <= MAX_SECONDS:  # also refuses an overflow to infinity
        raise InvalidInput("A duration is at most ten years of work.", field=field)
    return round(total)


def parse_duration(text: object, *, field: str = "timeSpent") -> int:
    """Seconds of work spent ("1w 2d 3h 30m", "90m", "1.5h"); at least one minute."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Time spent is a duration such as '3h 30m'.", field=field)
    return validate_seconds(_seconds_of(text, field=field, bare_unit=None), field=field)


def validate_seconds(value: object, *, field: str = "timeSpentSeconds") -> int:
    """Seconds of work spent: a number from one minute to ten years of working days."""
    number = parse_decimal(value)
    if number is None:
        raise InvalidInput("Time spent is a number of seconds.", field=field)
    seconds = int(number)
    if not 60 <= seconds <= MAX_SECONDS:
        raise InvalidInput("Time spent is at least one minute and at most ten years of work.", field=field)
    return seconds


def parse_estimate(value: object, *, field: str, bare_unit: str | None = None) -> int | None:
    """An estimate in seconds, from a number of seconds or a duration ("3d 4h"); None clears it.
    Zero is allowed (nothing left to do). `bare_unit` is the unit of a bare number in a string
    (Jira reads "30" as minutes); without it a string needs units."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput("An estimate is a number of seconds or a duration such as '3d 4h'.", field=field)
    if isinstance(value, str):
        seconds = _seconds_of(value, field=field, bare_unit=bare_unit)
    else:
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInput("An estimate is a number of seconds or a duration such as '3d 4h'.", field=field)
        seconds = round(value)
    if not 0 <= seconds <= MAX_SECONDS:
        raise InvalidInput("An estimate is between zero and ten years of work.", field=field)
    return seconds


def format_duration(seconds: int) -> str:
    """Jira's display form: "1w 2d 3h 30m" (zero parts left out)."""
    parts = []
    remaining = seconds
    for unit in ("w", "d", "h", "m"):
        amount, remaining = divmod(remaining, UNIT_SECONDS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts) or "0m"
