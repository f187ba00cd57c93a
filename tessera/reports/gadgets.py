"""The gadget registry and the checks a dashboard layout passes when it is saved.

A layout is {"columns": 1-4, "gadgets": [...]}; a gadget is {"type", "title", "id", "column",
"row", "config"}. Each type names the settings it takes; anything else, and every bad value,
is a 400 naming where it is: `layout.gadgets[2].config.jql`. JQL, saved filters and boards are
checked as the person saving sees them; each viewer later gets the data as they see it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.boards import access_board
from tessera.errors import InvalidInput, NotFound
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.jql.filters import get_visible_filter
from tessera.jql.search import plan_query
from tessera.reports.estimates import resolve_estimate
from tessera.reports.periods import period_start
from tessera.reports.statistic_fields import resolve_stat_field
from tessera.tenancy.actor import Actor

MAX_GADGETS = 30
MAX_COLUMNS = 4
MAX_JQL = 20_000
GADGET_KEYS = frozenset({"id", "type", "title", "column", "row", "config"})
_GADGET_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ISSUE_COLUMNS = ("key", "summary", "status", "priority", "assignee", "reporter", "issuetype", "created", "updated",
                 "resolved", "due", "resolution", "labels", "components", "fix_versions", "project")
DEFAULT_COLUMNS = ["key", "summary", "status", "assignee", "priority"]
_ANY_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)  # periods are checked for their form only


class ConfigCheck:
    """Reads one gadget's settings, each checked, with errors naming their place."""

    def __init__(self, session: AsyncSession, actor: Actor, catalog: OrgCatalog, config: Mapping[str, Any],
                 path: str, kind: str) -> None:
        self.session, self.actor, self.catalog = session, actor, catalog
        self.config, self.path, self.kind = config, path, kind
        self.used: set[str] = set()

    def fail(self, key: str, message: str) -> InvalidInput:
        return InvalidInput(message, field=f"{self.path}.{key}", code="invalid_gadget")

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.config.get(key)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"{key} is a whole number from {low} to {high}.")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, f"{key} is true or false.")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key)
        if value is None:
            return default
        if value not in choices:
            raise self.fail(key, f"{key} is one of {', '.join(choices)}.")
        return str(value)

    def text(self, key: str, limit: int) -> str | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > limit:
            raise self.fail(key, f"{key} is text of at most {limit:,} characters.")
        return value

    async def jql(self, key: str = "jql") -> str | None:
        text = self.text(key, MAX_JQL)
        if text is not None and text.strip():
            try:
                await plan_query(self.session, actor=self.actor, jql=text)
            except InvalidInput as error:
                raise self.fail(key, error.message) from None
        return text

    async def source(self, *, required: bool) -> dict[str, Any]:
        """The issues a gadget shows: `jql`, or a saved filter's (`filter_id`)."""
        jql = await self.jql()
        ref = self.get("filter_id")
        if jql is not None and ref is not None:
            raise self.fail("filter_id", "Give jql or filter_id, not both.")
        if ref is not None:
            saved = None if isinstance(ref, bool) or not isinstance(ref, int | str) else \
                await get_visible_filter(self.session, self.actor, ref)
            if saved is None:
                raise self.fail("filter_id", f"The filter '{str(ref)[:100]}' does not exist.")
            return {"filter_id": saved.id}
        if jql is None and required:
            raise self.fail("jql", f"A {self.kind} gadget needs jql or filter_id.")
        return {"jql": jql or ""}

    async def board(self) -> int:
        ref = self.get("board_id")
        board_id = ref if isinstance(ref, int) and not isinstance(ref, bool) and 0 < ref < 2**63 else None
        try:
            if board_id is None:
                raise NotFound("Board not found.")
            board, _ = await access_board(self.session, self.actor, board_id)
        except NotFound:
            raise self.fail("board_id", f"The board '{str(ref)[:100]}' does not exist.") from None
        if board.board_type != "scrum":
            raise self.fail("board_id", "Sprint gadgets need a Scrum board.")
        return board.id

    def period(self, key: str, default: str) -> str:
        value = self.text(key, 32)
        if value is None:
            return default
        try:
            period_start(value, _ANY_MOMENT)
        except InvalidInput as error:
            raise self.fail(key, error.message) from None
        return value

    def estimate(self) -> str:
        value = self.text("estimate", 255)
        try:
            resolve_estimate(self.catalog, value)
        except InvalidInput as error:
            raise self.fail("estimate", error.message) from None
        return value or "story_points"

    def stat_field(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise self.fail(key, f"A {self.kind} gadget needs {key}.")
        try:
            return resolve_stat_field(self.catalog, value).name
        except InvalidInput as error:
            raise self.fail(key, error.message) from None

    def columns(self) -> list[str]:
        value = self.get("columns")
        if value is None:
            return list(DEFAULT_COLUMNS)
        custom = {f.key for f in self.catalog.fields}
        if not isinstance(value, list) or not 1 <= len(value) <= 20:
            raise self.fail("columns", "columns is a list of 1 to 20 field names.")
        for index, name in enumerate(value):
            if not isinstance(name, str) or (name not in ISSUE_COLUMNS and name not in custom):
                raise self.fail(f"columns[{index}]", f"Unknown column; use {', '.join(ISSUE_COLUMNS)} or a custom "
                                                     "field's key.")
        return list(dict.fromkeys(value))

    def sprint(self) -> int | None:
        value = self.get("sprint_id")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise self.fail("sprint_id", "sprint_id is a sprint's id (or leave it out for the active sprint).")
        return value


async def _filter_results(check: ConfigCheck) -> dict[str, Any]:
    return {**await check.source(required=True), "columns": check.columns(),
            "max_results": check.integer("max_results", 10, 1, 100)}


async def _pie_chart(check: ConfigCheck) -> dict[str, Any]:
    return {**await check.source(required=True), "field": check.stat_field("field"),
            "max_slices": check.integer("max_slices", 10, 2, 50)}


async def _two_dimensional(check: ConfigCheck) -> dict[str, Any]:
    return {**await check.source(required=True), "x_field": check.stat_field("x_field"),
            "y_field": check.stat_field("y_field"), "max_rows": check.integer("max_rows", 20, 1, 100),
            "max_columns": check.integer("max_columns", 20, 1, 100)}


async def _created_vs_resolved(check: ConfigCheck) -> dict[str, Any]:
    return {**await check.source(required=True), "period": check.period("period", "30d"),
            "interval": check.choice("interval", ("day", "week"), "day"), "cumulative": check.flag("cumulative", False)}


async def _sprint_burndown(check: ConfigCheck) -> dict[str, Any]:
    return {"board_id": await check.board(), "sprint_id": check.sprint(), "estimate": check.estimate()}


async def _velocity(check: ConfigCheck) -> dict[str, Any]:
    return {"board_id": await check.board(), "period": check.period("period", "6months"),
            "estimate": check.estimate(), "forecast": check.integer("forecast", 3, 0, 20)}


async def _activity_stream(check: ConfigCheck) -> dict[str, Any]:
    return {**await check.source(required=False), "max_results": check.integer("max_results", 15, 1, 50)}


async def _assigned_to_me(check: ConfigCheck) -> dict[str, Any]:
    return {"columns": check.columns(), "max_results": check.integer("max_results", 10, 1, 100)}


@dataclass(frozen=True)
class GadgetType:
    name: str
    title: str
    check: Callable[[ConfigCheck], Awaitable[dict[str, Any]]]


GADGET_TYPES: dict[str, GadgetType] = {t.name: t for t in (
    GadgetType("filter_results", "Filter results", _filter_results),
    GadgetType("pie_chart", "Pie chart", _pie_chart),
    GadgetType("two_dimensional", "Two-dimensional statistics", _two_dimensional),
    GadgetType("created_vs_resolved", "Created vs resolved", _created_vs_resolved),
    GadgetType("sprint_burndown", "Sprint burndown", _sprint_burndown),
    GadgetType("velocity", "Velocity", _velocity),
    GadgetType("activity_stream", "Activity stream", _activity_stream),
    GadgetType("assigned_to_me", "Assigned to me", _assigned_to_me),
)}


def _fail(path: str, message: str) -> InvalidInput:
    return InvalidInput(message, field=path, code="invalid_gadget" if ".gadgets[" in path else "invalid_layout")


async def _check_gadget(session: AsyncSession, actor: Actor, catalog: OrgCatalog, spec: object, index: int,
                        columns: int, taken: set[str]) -> dict[str, Any]:
    path = f"layout.gadgets[{index}]"
    if not isinstance(spec, Mapping):
        raise _fail(path, "A gadget is an object with a type and its config.")
    unknown = sorted(set(map(str, spec)) - GADGET_KEYS)
    if unknown:
        raise _fail(f"{path}.{unknown[0][:64]}", f"Unknown gadget key; a gadget has {', '.join(sorted(GADGET_KEYS))}.")
    kind = spec.get("type")
    gadget_type = GADGET_TYPES.get(kind) if isinstance(kind, str) else None
    if gadget_type is None:
        raise _fail(f"{path}.type", f"type is one of {', '.join(GADGET_TYPES)}.")
    gadget_id = spec.get("id", f"g{index + 1}")
    if not isinstance(gadget_id, str) or not _GADGET_ID.match(gadget_id) or gadget_id in taken:
        raise _fail(f"{path}.id", "A gadget id is 1 to 64 letters, digits, - or _, unique in the dashboard.")
    title = spec.get("title", gadget_type.title)
    if not isinstance(title, str) or not title.strip() or len(title) > 255:
        raise _fail(f"{path}.title", "A gadget title is 1 to 255 characters.")
    column, row = spec.get("column", index % columns), spec.get("row", index // columns)
    if isinstance(column, bool) or not isinstance(column, int) or not 0 <= column < columns:
        raise _fail(f"{path}.column", f"column is 0 to {columns - 1}.")
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < 1000:
        raise _fail(f"{path}.row", "row is 0 to 999.")
    config = spec.get("config", {})
    if not isinstance(config, Mapping):
        raise _fail(f"{path}.config", "config is an object.")
    check = ConfigCheck(session, actor, catalog, config, f"{path}.config", gadget_type.name)
    checked = await gadget_type.check(check)
    extra = sorted(set(map(str, config)) - check.used)
    if extra:
        raise _fail(f"{path}.config.{extra[0][:64]}", f"A {gadget_type.name} gadget has no setting "
                                                     f"'{extra[0][:64]}'.")
    taken.add(gadget_id)
    return {"id": gadget_id, "type": gadget_type.name, "title": title.strip(), "column": column, "row": row,
            "config": checked}


async def validate_layout(session: AsyncSession, actor: Actor, layout: object) -> dict[str, Any]:
    """The layout as stored: every gadget checked, defaults filled in."""
    if not isinstance(layout, Mapping):
        raise _fail("layout", "layout is an object with columns and gadgets.")
    unknown = sorted(set(map(str, layout)) - {"columns", "gadgets"})
    if unknown:
        raise _fail(f"layout.{unknown[0][:64]}", "A layout has columns and gadgets.")
    columns = layout.get("columns", 2)
    if isinstance(columns, bool) or not isinstance(columns, int) or not 1 <= columns <= MAX_COLUMNS:
        raise _fail("layout.columns", f"columns is 1 to {MAX_COLUMNS}.")
    gadgets = layout.get("gadgets", [])
    if not isinstance(gadgets, list) or len(gadgets) > MAX_GADGETS:
        raise _fail("layout.gadgets", f"gadgets is a list of at most {MAX_GADGETS} gadgets.")
    catalog = await catalog_for(session, actor)
    taken: set[str] = set()
    checked = [await _check_gadget(session, actor, catalog, spec, index, columns, taken)
               for index, spec in enumerate(gadgets)]
    return {"columns": columns, "gadgets": checked}
