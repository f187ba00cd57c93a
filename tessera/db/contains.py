"""Which rows mention a piece of text, in a text or a JSON column, the same on SQLite and
PostgreSQL: a case-insensitive LIKE over the column's text. A JSON column is matched through
its text form, where a non-ASCII character may be stored escaped (SQLite keeps the JSON text as
written, `\\u00e9`; PostgreSQL's JSONB prints it as is), so both spellings are tried."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Text, cast, false, or_


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def spellings(term: str, *, in_json: bool) -> set[str]:
    """The forms `term` may take in the column's text."""
    if not in_json:
        return {term}
    return {json.dumps(term, ensure_ascii=ascii_only)[1:-1] for ascii_only in (True, False)}


def mentions_any(column: ColumnElement, terms: Sequence[str], *, in_json: bool = False) -> ColumnElement[bool]:
    """A condition true where the column's text contains any of `terms` (ignoring case)."""
    text = cast(column, Text) if in_json else column
    likes = [text.ilike(_like(form), escape="\\") for term in terms if term
             for form in sorted(spellings(term, in_json=in_json))]
    return or_(*likes) if likes else false()
