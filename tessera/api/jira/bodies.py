"""Reading Jira request bodies. Jira's bodies are loose (extra keys, ids as strings or numbers,
`null` for absent), so they are read as JSON and checked field by field by the translators,
which raise InvalidInput naming Jira's field."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from tessera.db.refs import parse_signed_int
from tessera.errors import InvalidInput
from tessera.inputs.json_text import decode_json


async def json_body(request: Request, *, required: bool = True) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise InvalidInput("The request body is required.", code="empty_body")
        return None
    return decode_json(raw)


async def json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    body = await json_body(request, required=required)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", code="malformed_json")
    return body


def ref_of(value: object, *keys: str) -> object:
    """The first of `keys` present in a Jira reference object (`{"id": "1"}`, `{"key": "ABC-1"}`),
    or the value itself when it is a plain id or name."""
    if isinstance(value, dict):
        for key in keys:
            if value.get(key) not in (None, ""):
                return value[key]
        return None
    return value


def as_int(value: object, *, field: str, default: int | None = None, minimum: int = 0,
           maximum: int = 1_000_000) -> int:
    if value is None or value == "":
        if default is None:
            raise InvalidInput(f"'{field}' is required.", field=field)
        return default
    number = value if isinstance(value, int) and not isinstance(value, bool) else parse_signed_int(value)
    if number is None:
        raise InvalidInput(f"'{field}' must be a number.", field=field)
    if not minimum <= number <= maximum:
        raise InvalidInput(f"'{field}' must be between {minimum} and {maximum}.", field=field)
    return number


TRUE_WORDS, FALSE_WORDS = frozenset({"true"}), frozenset({"false"})


def as_bool(value: object, *, field: str) -> bool | None:
    """A Jira boolean: true/false, or the strings "true"/"false" in any case (Jira's JSON reader
    coerces them, and scripts built from form values send them). None when absent or null
    (Jira leaves a boolean unchanged then); anything else is refused, naming the field."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise InvalidInput(f"'{field}' must be true or false.", field=field)


def as_text(body: dict[str, Any], name: str, *, required: bool = False, message: str | None = None) -> str | None:
    """A text field of a body: None when absent or null. Numbers are read as their text (Jira's
    reader coerces scalars to strings); objects, lists and booleans are refused. `required`
    refuses null and blank text (with `message`, Jira's wording for that field)."""
    value = body.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"'{name}' is text.", field=name)
    if required and (value is None or not value.strip()):
        raise InvalidInput(message or f"'{name}' is required.", field=name)
    return value
