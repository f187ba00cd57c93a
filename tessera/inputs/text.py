"""Text both databases store alike. PostgreSQL refuses a NUL character in text and asyncpg cannot
encode a lone UTF-16 surrogate (JSON's "\\ud800"), while SQLite stores both: such a value would
be accepted on one database and fail on the other, and a SQLite organization holding one could
never move to PostgreSQL. So every edge refuses them, the same way, before storage sees them."""

from __future__ import annotations

import re

from tessera.errors import InvalidInput

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnstorableText(InvalidInput):
    code = "invalid_text"


def unstorable_character(text: str) -> str | None:
    """What is wrong with `text` in words ("a NUL character"), or None when it can be stored."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "a NUL character" if found.group() == "\x00" else "an unpaired UTF-16 surrogate"


def validate_text(text: str, *, field: str) -> str:
    """`text` itself, or UnstorableText naming `field`."""
    problem = unstorable_character(text)
    if problem is not None:
        raise UnstorableText(f"'{field}' holds {problem}, which Tessera does not store.", field=field)
    return text
