"""The IANA time zones a user may choose, for showing dates in their own time."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tessera.errors import InvalidInput


@cache
def time_zone_names() -> tuple[str, ...]:
    """Sorted; the legacy aliases (posix/, right/, "US/Pacific"-style links) are left out, as
    pickers do, but stay valid if stored: zone_info accepts any name the system knows."""
    names = {name for name in available_timezones() if "/" in name and not name.startswith(("posix", "right", "Etc/"))}
    return tuple(sorted(names | {"UTC"}))


def check_time_zone(name: str) -> str:
    name = (name or "").strip()
    if name not in time_zone_names():
        raise InvalidInput(f"'{name[:64]}' is not a time zone; choose one such as Europe/Berlin or UTC.",
                           field="time_zone")
    return name


@cache
def zone_info(name: str | None) -> ZoneInfo:
    """The zone to show dates in; UTC for an empty or unknown name (never an error while rendering)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
