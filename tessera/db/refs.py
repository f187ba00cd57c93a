"""The one parser for the numbers clients send: ids, issue keys, page numbers and versions.

Python's own tools accept far more than a client means by a number: "³" passes `str.isdigit()`
and then fails `int()`; "١" (Arabic-Indic one) and "１" (full-width one) pass both and become 1;
`int()` ignores surrounding whitespace and refuses strings over 4,300 digits; `re`'s `\\d` matches
every Unicode digit. Storage holds signed 64-bit integers, so a 30-digit id overflows the
database driver. Every number read from a path, a query, a header, a form or a body therefore
goes through this module: ASCII digits only, nothing around them, no sign (parse_signed_int
takes a minus), no leading zero (what is accepted is exactly `str(n)`), at most 19 digits,
range-checked before anything reaches SQL.

Anything else is "not a number" (None); the caller decides whether that means NotFound (a path
that names nothing), a default (a page number on a web page) or InvalidInput (a body field)."""

from __future__ import annotations

import math
import re

from tessera.errors import NotFound

MAX_ID = 2**63 - 1  # the largest value a PostgreSQL BIGINT or a SQLite INTEGER holds
MIN_INT = -(2**63)

_NATURAL = "(?:0|[1-9][0-9]{0,18})"  # MAX_ID has 19 digits; more can never be in range
_DIGITS = re.compile(_NATURAL, re.ASCII)
_SIGNED = re.compile(f"-?{_NATURAL}", re.ASCII)
# The seed's prefixed reference form, "proj_42".
_PREFIXED = re.compile(f"[A-Za-z]{{1,32}}_({_NATURAL})", re.ASCII)
# A decimal as JSON writes one (no "+", "_", "nan", "inf" or Unicode digits, all of which float() takes).
_DECIMAL = re.compile(r"-?(?:[0-9]{1,40}(?:\.[0-9]{0,40})?|\.[0-9]{1,40})(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
# PROJ-123: a project key (letters, digits, underscore; starting with a letter), a dash, a number.
_ISSUE_KEY = re.compile(f"([A-Za-z][A-Za-z0-9_]{{0,31}})-({_NATURAL})", re.ASCII)
# An If-Match value: our ETags W/"<id>-<version>" (issues) and W/"c<id>-<version>" (comments), or
# a version alone; quoted or bare, weak or not.
_ETAG = re.compile(f'(?:W/)?("?)(?:[a-z]?{_NATURAL}-)?({_NATURAL})\\1', re.ASCII)


def parse_int(text: object, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The number `text` spells when it is a canonical decimal (ASCII digits, no sign, no
    leading zero, no whitespace) within [minimum, maximum]; None for anything else, including
    non-strings. Callers pick the range: 0.. for offsets and versions, 1.. for ids and pages."""
    if not isinstance(text, str) or _DIGITS.fullmatch(text) is None:
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def parse_positive_int(text: object, *, maximum: int = MAX_ID) -> int | None:
    """1..maximum, e.g. a page number or a column (maximum says how far a client may go)."""
    return parse_int(text, minimum=1, maximum=maximum)


def parse_signed_int(text: object, *, minimum: int = MIN_INT, maximum: int = MAX_ID) -> int | None:
    """Like parse_int, with an optional leading minus ("-0" is not canonical and is refused)."""
    if not isinstance(text, str) or _SIGNED.fullmatch(text) is None or text == "-0":
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def parse_id(value: object) -> int | None:
    """A stored id (1..2**63-1) from a reference: an int, its decimal text or the seed's
    prefixed form "proj_42"; None when the reference is not an id (a key, a name, a bool, a
    number out of range), so the caller can try the other forms or answer NotFound."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    number = parse_int(value, minimum=1)
    if number is not None:
        return number
    match = _PREFIXED.fullmatch(value)
    return parse_int(match.group(1), minimum=1) if match else None


def parse_natural(value: object, *, maximum: int = MAX_ID) -> int | None:
    """0..maximum from a JSON number or its decimal text (an event id, a version); None for
    anything else, bools included (JSON's true is not 1)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= maximum else None
    return parse_int(value, maximum=maximum)


def parse_decimal(value: object) -> float | None:
    """A finite float from a JSON number or its decimal text ("2", "-0.5", "1e3"); None for
    anything else: bools, text float() would also take ("١", " 1", "1_0", "nan"), and ints too
    large for a float (which float() refuses with OverflowError, not ValueError)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def parse_version(value: object) -> int | None:
    """A lost-update version a client echoes back (a form's hidden input, a JSON body)."""
    return parse_natural(value)


def parse_etag_version(value: str) -> int | None:
    """The version an If-Match header carries: `W/"42-3"` (an issue's ETag, id-version; a
    comment's is `W/"c42-3"`), `"3"`, `W/"3"` or a bare `3`, quoted or not, weak or not, as
    clients have sent them. Whitespace around the whole header is HTTP's own and is ignored;
    anything else (several tags, `*`, non-ASCII digits, a leading zero) is None."""
    match = _ETAG.fullmatch(value.strip(" \t"))
    if match is None:
        return None
    return parse_int(match.group(2))


def parse_issue_key(value: object) -> str | None:
    """The canonical (upper-case) form of an issue key such as "proj-123", or None when the text
    is not one: its number must be an id (1..2**63-1) in ASCII digits, with nothing around it."""
    if not isinstance(value, str):
        return None
    match = _ISSUE_KEY.fullmatch(value)
    if match is None or parse_int(match.group(2), minimum=1) is None:
        return None
    return f"{match.group(1).upper()}-{match.group(2)}"


def require_id(value: object, *, not_found: str) -> int:
    """parse_id for a reference that must be an id (a path segment such as /boards/7): anything
    else names nothing, so it is NotFound with the caller's message, never a 500 or a 422."""
    number = parse_id(value)
    if number is None:
        raise NotFound(not_found)
    return number
