"""Editing a dashboard one step at a time, as the web pages do: add, change, remove or move a
gadget, change the columns, add or remove a share.

Each step rebuilds the whole layout (or share list) from the stored one and saves it through
`check_update_dashboard`, so the layout checks, the owner-only rule and the version check are
the API's own; `version` is the one the editor read (a stale one is a 409)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput, NotFound
from tessera.reports.dashboards import DashboardDetails, check_update_dashboard, share_spec
from tessera.reports.gadgets import MAX_COLUMNS
from tessera.reports.models import Dashboard
from tessera.tenancy.actor import Actor

Direction = Literal["up", "down", "left", "right"]
DIRECTIONS = ("up", "down", "left", "right")


def _gadgets(dashboard: Dashboard) -> list[dict[str, Any]]:
    return [dict(gadget) for gadget in dashboard.layout.get("gadgets", [])]


def _columns(dashboard: Dashboard) -> int:
    return int(dashboard.layout.get("columns") or 1)


def _index(gadgets: list[dict[str, Any]], gadget_id: str) -> int:
    for index, gadget in enumerate(gadgets):
        if gadget["id"] == gadget_id:
            return index
    raise NotFound("The dashboard has no such gadget.")


def stacked(gadgets: list[dict[str, Any]], columns: int) -> list[dict[str, Any]]:
    """Rows renumbered 0, 1, 2... down each column, in the current order (columns past the last
    folded into it), so moves and removals leave no gaps."""
    ordered = sorted(gadgets, key=lambda g: (min(g["column"], columns - 1), g["row"]))
    next_row = [0] * columns
    laid_out = []
    for gadget in ordered:
        column = min(gadget["column"], columns - 1)
        laid_out.append({**gadget, "column": column, "row": next_row[column]})
        next_row[column] += 1
    return laid_out


def _new_id(gadgets: list[dict[str, Any]]) -> str:
    taken = {g["id"] for g in gadgets}
    number = len(gadgets) + 1
    while f"g{number}" in taken:
        number += 1
    return f"g{number}"


async def _save_layout(session: AsyncSession, actor: Actor, dashboard: Dashboard, gadgets: list[dict[str, Any]],
                       columns: int, version: int | None) -> Dashboard:
    layout = {"columns": columns, "gadgets": stacked(gadgets, columns)}
    return await check_update_dashboard(session, actor=actor, dashboard=dashboard,
                                        spec={"layout": layout, "version": version})


async def check_add_gadget(session: AsyncSession, *, actor: Actor, dashboard: Dashboard, kind: str, title: str | None,
                           column: int | None, config: Mapping[str, Any], version: int | None) -> Dashboard:
    """At the bottom of `column` (default the first)."""
    gadgets = _gadgets(dashboard)
    columns = _columns(dashboard)
    target = 0 if column is None else column
    gadget: dict[str, Any] = {"id": _new_id(gadgets), "type": kind, "column": target,
                              "row": 1 + max((g["row"] for g in gadgets if g["column"] == target), default=-1),
                              "config": dict(config)}
    if title:
        gadget["title"] = title
    if not 0 <= target < columns:
        raise InvalidInput(f"column is 1 to {columns}.", field=f"layout.gadgets[{len(gadgets)}].column")
    return await _save_layout(session, actor, dashboard, [*gadgets, gadget], columns, version)


async def check_change_gadget(session: AsyncSession, *, actor: Actor, dashboard: Dashboard, gadget_id: str,
                              title: str | None, config: Mapping[str, Any], version: int | None) -> Dashboard:
    """A new title and configuration; the type and place stay."""
    gadgets = _gadgets(dashboard)
    index = _index(gadgets, gadget_id)
    gadgets[index] = {**gadgets[index], "config": dict(config),
                      **({"title": title} if title else {})}
    return await _save_layout(session, actor, dashboard, gadgets, _columns(dashboard), version)


async def check_remove_gadget(session: AsyncSession, *, actor: Actor, dashboard: Dashboard, gadget_id: str,
                              version: int | None) -> Dashboard:
    gadgets = _gadgets(dashboard)
    del gadgets[_index(gadgets, gadget_id)]
    return await _save_layout(session, actor, dashboard, gadgets, _columns(dashboard), version)


async def check_move_gadget(session: AsyncSession, *, actor: Actor, dashboard: Dashboard, gadget_id: str,
                            direction: str, version: int | None) -> Dashboard:
    """Up or down within its column (swapping with the neighbour), or to the bottom of the
    column to its left or right; a move past an edge changes nothing."""
    if direction not in DIRECTIONS:
        raise InvalidInput(f"direction is one of {', '.join(DIRECTIONS)}.", field="direction")
    columns = _columns(dashboard)
    gadgets = stacked(_gadgets(dashboard), columns)
    moving = gadgets[_index(gadgets, gadget_id)]
    if direction in ("up", "down"):
        step = -1 if direction == "up" else 1
        neighbour = next((g for g in gadgets if g["column"] == moving["column"] and g["row"] == moving["row"] + step),
                         None)
        if neighbour is not None:
            neighbour["row"], moving["row"] = moving["row"], neighbour["row"]
    else:
        column = moving["column"] + (-1 if direction == "left" else 1)
        if 0 <= column < columns:
            moving["column"] = column
            moving["row"] = 1 + max((g["row"] for g in gadgets if g["column"] == column and g is not moving),
                                    default=-1)
    return await _save_layout(session, actor, dashboard, gadgets, columns, version)


async def check_change_details(session: AsyncSession, *, actor: Actor, dashboard: Dashboard, name: object,
                               description: object, columns: int | None, version: int | None) -> Dashboard:
    """Name, description and the number of columns (gadgets of a removed column go to the last)."""
    spec: dict[str, Any] = {"name": name, "description": description, "version": version}
    if columns is not None:
        if not 1 <= columns <= MAX_COLUMNS:
            raise InvalidInput(f"columns is 1 to {MAX_COLUMNS}.", field="columns")
        spec["layout"] = {"columns": columns, "gadgets": stacked(_gadgets(dashboard), columns)}
    return await check_update_dashboard(session, actor=actor, dashboard=dashboard, spec=spec)


async def check_add_share(session: AsyncSession, *, actor: Actor, details: DashboardDetails,
                          share: Mapping[str, Any], version: int | None) -> Dashboard:
    shares = [share_spec(existing) for existing in details.shares]
    if dict(share) in shares:
        raise InvalidInput("The dashboard is already shared that way.", field="shares")
    return await check_update_dashboard(session, actor=actor, dashboard=details.dashboard,
                                        spec={"shares": [*shares, dict(share)], "version": version})


async def check_remove_share(session: AsyncSession, *, actor: Actor, details: DashboardDetails, index: int,
                             version: int | None) -> Dashboard:
    shares = [share_spec(existing) for existing in details.shares]
    if not 0 <= index < len(shares):
        raise NotFound("The dashboard has no such share.")
    del shares[index]
    return await check_update_dashboard(session, actor=actor, dashboard=details.dashboard,
                                        spec={"shares": shares, "version": version})
