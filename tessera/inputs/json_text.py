"""The one JSON reader for what clients send, on every edge (/v2, /rest, /graphql, the live
WebSocket). Python's json module recurses once per nesting level, so a body of 100,000 `[`
raised RecursionError (a 500, or a dropped socket); and whatever decodes the value next
(pydantic, our own walkers, the JSON columns) recurses too. So the nesting is measured first,
by a scan of the text that keeps its own counter, and refused beyond MAX_DEPTH levels; then
every decoded string (keys too) is checked for text the databases do not store alike
(tessera.inputs.text). Errors are InvalidInput: each edge renders them in its own shape."""

from __future__ import annotations

import json
import re
from typing import Any

from tessera.errors import InvalidInput
from tessera.inputs.text import UnstorableText, unstorable_character

MAX_DEPTH = 64
# Strings (skipped whole, so brackets inside them do not count) and brackets.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
# A decoded string can hold NUL or a lone surrogate only through these escapes.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class JsonTooDeep(InvalidInput):
    code = "json_too_deep"


class MalformedJson(InvalidInput):
    code = "malformed_json"


def validate_depth(text: str, *, what: str = "request body", max_depth: int = MAX_DEPTH) -> None:
    """Refuses JSON text nesting arrays and objects deeper than `max_depth`. Does not validate
    the JSON otherwise; malformed text is for the decoder to report."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > max_depth:
                raise JsonTooDeep(f"The {what} nests deeper than {max_depth} levels.",
                                  data={"max_depth": max_depth})
        elif token == "]" or token == "}":
            depth -= 1


def validate_strings(value: Any) -> Any:
    """`value` itself once every string in it can be stored; else UnstorableText naming the first
    one by its path (`fields.labels.2`, or `fields` for a key). Walks with its own stack, each
    container once (a YAML alias may make a value contain itself)."""
    stack: list[tuple[str, Any]] = [("", value)]
    seen: set[int] = set()
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            problem = unstorable_character(item)
            if problem is not None:
                field = path or "body"
                raise UnstorableText(f"'{field}' holds {problem}, which Tessera does not store.", field=field)
        elif isinstance(item, dict | list) and id(item) not in seen:
            seen.add(id(item))
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and unstorable_character(key) is not None:
                    stack.append((path, key))
                stack.append((f"{path}.{key}" if path else str(key), child))
    return value


def validate_json_text(text: str, *, what: str = "request body", max_depth: int = MAX_DEPTH) -> None:
    """For edges whose framework decodes the JSON itself: refuses too deep nesting and
    unstorable text without decoding, unless an escape makes unstorable text possible."""
    validate_depth(text, what=what, max_depth=max_depth)
    if _SUSPECT_ESCAPE.search(text) is None:
        return
    try:
        value = json.loads(text)
    except ValueError:
        return  # malformed: the edge's own decoder says so
    validate_strings(value)


def decode_json(raw: bytes | str, *, what: str = "request body", max_depth: int = MAX_DEPTH) -> Any:
    """The value of UTF-8 JSON text; MalformedJson (saying where), JsonTooDeep or UnstorableText."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise MalformedJson(f"The {what} is not valid JSON: it is not UTF-8 (byte {error.start}).") from None
    validate_depth(text, what=what, max_depth=max_depth)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedJson(f"The {what} is not valid JSON: {error.msg} (line {error.lineno}, column "
                            f"{error.colno}).") from None
    if _SUSPECT_ESCAPE.search(text) is not None:
        validate_strings(value)
    return value
