"""Parse the references clients send for an id: 42, "42" or the seed's prefixed form "proj_42"."""

from __future__ import annotations

import re

_PREFIXED = re.compile(r"^[A-Za-z]+_(\d{1,18})$")
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """An integer id from a reference, or None when the reference is not an id (e.g. a key)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and len(text) <= 18:
            number = int(text)
            return number if number > 0 else None
        match = _PREFIXED.match(text)
        if match:
            number = int(match.group(1))
            return number if number > 0 else None
    return None
