"""Jira's CSV export ("Export Excel CSV (all fields)") read as REST v2 issue dicts, so it goes
through the same pipeline as the JSON exports.

The CSV repeats a column for each value of a multi-valued field (Labels, Component/s, Fix
Version/s, Affects Version/s, Sprint, Watchers, Comment, Attachment); a comment is
"date;author;body"; dates are in the exporting user's format (by default "21/Jan/21 4:05 PM",
read as UTC: the file does not say its time zone); a sub-task names its parent by id; custom
fields are "Custom field (Name)". Statuses carry no category in a CSV: it is guessed from the
name (Done, Closed, Resolved... are done) and can be corrected in the mapping file."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tessera.errors import InvalidInput
from tessera.importing.jira.survey import guess_category

_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
            "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M")
_CATEGORY_KEYS = {"todo": "new", "in_progress": "indeterminate", "done": "done"}
_MULTI = {"labels": "labels", "component/s": "components", "fix version/s": "fixVersions",
          "affects version/s": "versions"}


def csv_time(value: str) -> str | None:
    """A CSV date as the REST API writes it ("2021-01-21T16:05:00.000+0000")."""
    text = value.strip()
    if not text:
        return None
    for pattern in _FORMATS:
        try:
            moment = datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.000+0000")


def read_csv_issues(stream: io.TextIOBase | Any, where: str) -> Iterator[dict[str, Any]]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    lowered = [column.strip().lower() for column in header]
    if "issue key" not in lowered or "summary" not in lowered:
        raise InvalidInput(f"{where}: not a Jira CSV export (no \"Issue key\" and \"Summary\" columns).", field="file")
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    keys_by_id = {}
    for row in rows:
        cells = _cells(header, row)
        if cells.get("issue id") and cells.get("issue key"):
            keys_by_id[cells["issue id"][0]] = cells["issue key"][0]
    for number, row in enumerate(rows, start=2):
        cells = _cells(header, row)
        if not cells.get("issue key"):
            raise InvalidInput(f"{where}: row {number} has no issue key.", field="file")
        yield _issue(cells, keys_by_id)


def _cells(header: list[str], row: list[str]) -> dict[str, list[str]]:
    """Column name (lower case; the original for custom fields) -> the non-empty values."""
    cells: dict[str, list[str]] = {}
    for name, value in zip(header, row, strict=False):
        if value.strip():
            key = name.strip() if name.strip().lower().startswith("custom field (") else name.strip().lower()
            cells.setdefault(key, []).append(value)
    return cells


def _one(cells: dict[str, list[str]], name: str) -> str | None:
    values = cells.get(name)
    return values[0] if values else None


def _user(name: str | None) -> dict[str, str] | None:
    return {"name": name, "displayName": name} if name else None


def _issue(cells: dict[str, list[str]], keys_by_id: dict[str, str]) -> dict[str, Any]:
    key = cells["issue key"][0].strip()
    status = _one(cells, "status")
    project_key = _one(cells, "project key") or key.rsplit("-", 1)[0]
    parent_id = _one(cells, "parent id") or _one(cells, "parent")
    fields: dict[str, Any] = {
        "summary": _one(cells, "summary") or key, "description": _one(cells, "description"),
        "issuetype": {"name": _one(cells, "issue type") or "Task", "subtask": bool(parent_id and (
            _one(cells, "issue type") or "").casefold() in ("sub-task", "subtask"))},
        "status": {"name": status, "statusCategory": {"key": _CATEGORY_KEYS[guess_category(status)]}}
        if status else None,
        "project": {"key": project_key, "name": _one(cells, "project name") or project_key},
        "priority": {"name": _one(cells, "priority")} if _one(cells, "priority") else None,
        "resolution": {"name": _one(cells, "resolution")} if _one(cells, "resolution") else None,
        "assignee": _user(_one(cells, "assignee")), "reporter": _user(_one(cells, "reporter")),
        "creator": _user(_one(cells, "creator")),
        "created": csv_time(_one(cells, "created") or ""), "updated": csv_time(_one(cells, "updated") or ""),
        "resolutiondate": csv_time(_one(cells, "resolved") or ""),
        "duedate": (csv_time(_one(cells, "due date") or "") or "")[:10] or None,
        "environment": _one(cells, "environment"),
        "attachment": [{} for _ in cells.get("attachment", [])],
        "watches": {"watchers": [_user(name) for name in cells.get("watchers", [])]},
        "issuelinks": [],
    }
    if parent_id:
        fields["parent"] = {"key": keys_by_id.get(parent_id, parent_id)}
    for column, name in _MULTI.items():
        values = cells.get(column, [])
        fields[name] = values if name == "labels" else [{"name": value} for value in values]
    if cells.get("sprint"):
        fields["closedSprints"] = [{"id": f"csv:{name}", "name": name, "state": "closed"} for name in cells["sprint"]]
    comments = []
    for text in cells.get("comment", []):
        when, _, rest = text.partition(";")
        author, _, body = rest.partition(";")
        if not body:  # no "date;author;" prefix: the whole cell is the body
            when, author, body = "", "", text
        created = csv_time(when) or fields["created"]
        comments.append({"id": "csv:" + hashlib.sha1(f"{key};{text}".encode()).hexdigest()[:20],
                         "author": _user(author.strip() or None), "body": body, "created": created,
                         "updated": created})
    fields["comment"] = {"comments": comments}
    names: dict[str, str] = {}
    for column, values in cells.items():
        if column.startswith("Custom field (") and column.endswith(")"):
            field_name = column[len("Custom field ("):-1]
            if field_name.casefold() in ("sprint", "rank"):
                continue
            field_id = "customfield_csv_" + hashlib.sha1(field_name.encode()).hexdigest()[:10]
            names[field_id] = field_name
            typed = [_number(value) for value in values]
            fields[field_id] = typed[0] if len(typed) == 1 and not isinstance(typed[0], str) else (
                values[0] if len(values) == 1 else [{"value": value} for value in values])
    return {"id": _one(cells, "issue id") or key, "key": key, "fields": fields, "names": names}


def _number(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value
