"""Reading Jira's values: timestamps, dates, users and custom field values as REST v2 writes them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# Jira's statusCategory keys and Tessera's categories.
STATUS_CATEGORIES = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(value: object) -> datetime | None:
    """"2016-02-03T23:55:46.000+0000" (or ...Z, or +00:00) as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def parse_day(value: object) -> date | None:
    if not isinstance(value, str) or not _DAY.match(value[:10]):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def user_identity(user: object) -> str | None:
    """The one name Jira gives a user in every place it refers to them: accountId on Cloud,
    the user key (else name) on Server."""
    if not isinstance(user, dict):
        return None
    for key in ("accountId", "key", "name"):
        if user.get(key):
            return str(user[key])
    return None


def custom_field_type(value: object, schema: object = None) -> str | None:
    """Tessera's field type for a Jira custom field value (the `schema` entry when the export has
    it); None for what Tessera does not hold (objects of a plugin, say)."""
    if isinstance(schema, dict):
        kind, items = schema.get("type"), schema.get("items")
        if kind == "number":
            return "number"
        if kind in ("date", "datetime"):
            return "date"
        if kind == "user":
            return "user"
        if kind == "option":
            return "select"
        if kind == "array" and items == "option":
            return "multi_select"
        if kind == "string":
            return "text"
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "date" if parse_day(value) and len(value) <= 29 and parse_time_or_day(value) else "text"
    if isinstance(value, dict):
        if "value" in value:
            return "select"
        if "accountId" in value or "emailAddress" in value or ("name" in value and "displayName" in value):
            return "user"
        return None
    if isinstance(value, list) and value:
        if all(isinstance(item, dict) and "value" in item for item in value):
            return "multi_select"
        if all(isinstance(item, str) for item in value):
            return "multi_select"
    return None


def parse_time_or_day(value: str) -> bool:
    return bool(_DAY.match(value) or _TIMESTAMP.match(value))


def option_values(value: object) -> list[str]:
    """The option names in a select or multi-select value."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict) and item.get("value") is not None:
            names.append(str(item["value"])[:255])
        elif isinstance(item, str) and isinstance(value, list):
            names.append(item[:255])
    return names
