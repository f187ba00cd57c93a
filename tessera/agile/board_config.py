"""Checking a board's configuration: columns (statuses and WIP limits), swimlanes, quick filters,
sub-filter. Everything is checked when saved, each mistake naming its place
(`columns.1.status_ids`, `quick_filters.0.jql`), so showing a board never meets a bad config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.models import SWIMLANE_TYPES
from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.issues.references import OrgCatalog
from tessera.jql.search import plan_query
from tessera.tenancy.actor import Actor
from tessera.workflow.models import CATEGORY_NAMES, STATUS_CATEGORIES

MAX_COLUMNS = 30
MAX_QUICK_FILTERS = 50
MAX_SWIMLANE_QUERIES = 50
MAX_JQL = 20_000
MAX_WIP = 100_000


def default_columns(catalog: OrgCatalog) -> list[dict[str, Any]]:
    """To Do, In Progress and Done, each holding the organization's statuses of that category."""
    return [{"name": CATEGORY_NAMES[category], "min": None, "max": None,
             "status_ids": sorted(s.id for s in catalog.statuses if s.category == category)}
            for category in STATUS_CATEGORIES]


def _text(value: object, field: str, what: str, *, limit: int = 255, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise InvalidInput(f"{what} must be text of 1 to {limit} characters." if required else
                           f"{what} must be text of at most {limit} characters.", field=field)
    return value.strip()


def _limit(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WIP:
        raise InvalidInput(f"A WIP limit is a whole number from 0 to {MAX_WIP}, or null.", field=field)
    return value


def _status_id(catalog: OrgCatalog, ref: object, field: str) -> int:
    wanted = parse_id(ref)
    for status in catalog.statuses:
        if status.id == wanted or (isinstance(ref, str) and status.name.casefold() == ref.strip().casefold()):
            return status.id
    raise InvalidInput(f"The status '{str(ref)[:100]}' does not exist.", field=field)


def validate_columns(catalog: OrgCatalog, columns: object) -> list[dict[str, Any]]:
    if not isinstance(columns, Sequence) or isinstance(columns, str) or not 1 <= len(columns) <= MAX_COLUMNS:
        raise InvalidInput(f"A board has 1 to {MAX_COLUMNS} columns.", field="columns")
    checked: list[dict[str, Any]] = []
    placed: dict[int, str] = {}
    for index, column in enumerate(columns):
        where = f"columns.{index}"
        if not isinstance(column, Mapping):
            raise InvalidInput("A column is an object with name, status_ids, min and max.", field=where)
        name = _text(column.get("name"), f"{where}.name", "A column's name")
        if any(c["name"].casefold() == name.casefold() for c in checked):
            raise InvalidInput(f"Two columns are named '{name}'.", field=f"{where}.name")
        refs = column.get("status_ids") or []
        if not isinstance(refs, Sequence) or isinstance(refs, str):
            raise InvalidInput("status_ids is a list of status ids or names.", field=f"{where}.status_ids")
        status_ids: list[int] = []
        for ref in refs:
            status_id = _status_id(catalog, ref, f"{where}.status_ids")
            if status_id in placed:
                raise InvalidInput(f"Status '{catalog.status(status_id).name}' is already in column "
                                   f"'{placed[status_id]}'.", field=f"{where}.status_ids")
            placed[status_id] = name
            status_ids.append(status_id)
        low, high = _limit(column.get("min"), f"{where}.min"), _limit(column.get("max"), f"{where}.max")
        if low is not None and high is not None and low > high:
            raise InvalidInput("A column's minimum is above its maximum.", field=f"{where}.min")
        checked.append({"name": name, "status_ids": status_ids, "min": low, "max": high})
    return checked


async def validate_jql(session: AsyncSession, actor: Actor, jql: object, field: str, *, required: bool = True) -> str:
    """Parse and validate against the actor's catalog; the error names `field`."""
    text = _text(jql, field, "A JQL query", limit=MAX_JQL, required=required)
    if text:
        try:
            await plan_query(session, actor=actor, jql=text)
        except InvalidInput as error:
            raise InvalidInput(error.message, field=field, code=error.code, data=error.data) from None
    return text


async def validate_swimlanes(session: AsyncSession, actor: Actor, spec: object) -> dict[str, Any]:
    if spec is None:
        return {"type": "none", "queries": []}
    if not isinstance(spec, Mapping):
        raise InvalidInput("swimlanes is an object: {type, queries}.", field="swimlanes")
    kind = spec.get("type", "none")
    if kind not in SWIMLANE_TYPES:
        raise InvalidInput(f"Swimlanes are by {', '.join(SWIMLANE_TYPES)}.", field="swimlanes.type")
    queries = spec.get("queries") or []
    if not isinstance(queries, Sequence) or isinstance(queries, str) or len(queries) > MAX_SWIMLANE_QUERIES:
        raise InvalidInput(f"At most {MAX_SWIMLANE_QUERIES} swimlane queries.", field="swimlanes.queries")
    if kind == "queries" and not queries:
        raise InvalidInput("Query swimlanes need at least one query.", field="swimlanes.queries")
    checked = []
    for index, query in enumerate(queries):
        where = f"swimlanes.queries.{index}"
        if not isinstance(query, Mapping):
            raise InvalidInput("A swimlane query is an object: {name, jql}.", field=where)
        checked.append({"name": _text(query.get("name"), f"{where}.name", "A swimlane's name"),
                        "jql": await validate_jql(session, actor, query.get("jql"), f"{where}.jql")})
    return {"type": kind, "queries": checked if kind == "queries" else []}


async def validate_quick_filters(session: AsyncSession, actor: Actor, specs: object,
                              existing: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """Quick filters keep their ids across edits (clients and URLs name them); new ones get the
    next free number on the board."""
    if specs is None:
        return []
    if not isinstance(specs, Sequence) or isinstance(specs, str) or len(specs) > MAX_QUICK_FILTERS:
        raise InvalidInput(f"A board has at most {MAX_QUICK_FILTERS} quick filters.", field="quick_filters")
    next_id = max([int(f["id"]) for f in existing] + [0]) + 1
    checked: list[dict[str, Any]] = []
    for index, spec in enumerate(specs):
        where = f"quick_filters.{index}"
        if not isinstance(spec, Mapping):
            raise InvalidInput("A quick filter is an object: {name, jql, description}.", field=where)
        filter_id = spec.get("id")
        if filter_id is None:
            filter_id, next_id = next_id, next_id + 1
        elif isinstance(filter_id, bool) or not isinstance(filter_id, int) or not 0 < filter_id < 2**31 or \
                any(f["id"] == filter_id for f in checked):
            raise InvalidInput("A quick filter's id is a positive number, unique on the board.", field=f"{where}.id")
        checked.append({"id": filter_id, "name": _text(spec.get("name"), f"{where}.name", "A quick filter's name"),
                        "jql": await validate_jql(session, actor, spec.get("jql"), f"{where}.jql"),
                        "description": _text(spec.get("description") or "", f"{where}.description",
                                             "A description", limit=32_767, required=False)})
        next_id = max(next_id, filter_id + 1)
    return checked
