"""Each gadget's data, computed for the viewer.

`prepare` resolves what a gadget reads as the viewer sees it (a saved filter's JQL, a board,
its filter) and says whether the result depends on who is looking beyond which projects they
may browse; `compute` then runs the gadget. Anything the viewer may not see (a filter no longer
shared with them, a board they cannot see) makes that gadget an error, never a leak."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.boards import access_board, board_filter
from tessera.agile.models import Board
from tessera.agile.sprints import board_sprints, sprint_links
from tessera.errors import NotFound, TesseraError
from tessera.issues.references import catalog_for
from tessera.jql import ast
from tessera.jql.filters import FILTER_FIELD_NAMES, get_visible_filter
from tessera.jql.parser import parse
from tessera.jql.search import search_issues
from tessera.projects.models import Project
from tessera.reports.activity import recent_activity
from tessera.reports.burndown import burndown_report
from tessera.reports.cumulative import created_vs_resolved_report
from tessera.reports.issue_rows import issue_rows
from tessera.reports.selection import select_issues
from tessera.reports.sprint_scope import sprint_run
from tessera.reports.statistic_fields import count_by, count_issues, resolve_stat_field, value_labels
from tessera.reports.velocity import velocity_report
from tessera.tenancy.actor import Actor

ASSIGNED_TO_ME = "assignee = currentUser() AND resolution = Unresolved ORDER BY priority DESC, updated DESC"
# What makes a query's answer depend on the person asking, beyond the projects they browse.
VIEWER_FUNCTIONS = frozenset({"currentuser", "watchedissues", "votedissues", "issuehistory"})
VIEWER_FIELDS = FILTER_FIELD_NAMES | {"comment", "text"}
PER_VIEWER_TYPES = frozenset({"assigned_to_me", "activity_stream"})


@dataclass
class Prepared:
    gadget: dict[str, Any]
    jql: str | None = None
    board: Board | None = None
    project: Project | None = None
    per_viewer: bool = False
    error: dict[str, str] | None = None
    material: dict[str, Any] = field(default_factory=dict)

    def cache_key(self) -> str:
        """What the gadget's data depends on, besides the viewer's scope and the data version."""
        text = json.dumps({"gadget": self.gadget, **self.material}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _walk(node: object) -> list[object]:
    found: list[object] = [node]
    if isinstance(node, ast.Query):
        found += _walk(node.where) if node.where is not None else []
    elif isinstance(node, ast.And | ast.Or):
        for item in node.items:
            found += _walk(item)
    elif isinstance(node, ast.Not):
        found += _walk(node.item)
    elif isinstance(node, ast.Compare | ast.InList | ast.Was):
        found += _walk(node.operand)
        found += [p.operand for p in getattr(node, "predicates", ())]
    elif isinstance(node, ast.Changed):
        found += [p.operand for p in node.predicates]
    elif isinstance(node, ast.ValueList):
        for item in node.items:
            found += _walk(item)
    return found


def depends_on_viewer(jql: str | None) -> bool:
    """True when the query names the viewer (currentUser(), watched issues...), saved filters
    (shared per person) or comment text (restricted comments are per role)."""
    if not jql or not jql.strip():
        return False
    try:
        nodes = _walk(parse(jql))
    except TesseraError:
        return True
    for node in nodes:
        if isinstance(node, ast.FunctionCall) and node.name.lower() in VIEWER_FUNCTIONS:
            return True
        field_ref = getattr(node, "field", None)
        if isinstance(field_ref, ast.FieldRef) and field_ref.name.lower() in VIEWER_FIELDS:
            return True
    return False


async def prepare(session: AsyncSession, actor: Actor, gadget: dict[str, Any]) -> Prepared:
    config = gadget["config"]
    prepared = Prepared(gadget, per_viewer=gadget["type"] in PER_VIEWER_TYPES)
    try:
        if "filter_id" in config:
            saved = await get_visible_filter(session, actor, config["filter_id"])
            if saved is None:
                raise NotFound("This gadget's filter does not exist or is not shared with you.")
            prepared.jql = saved.jql
        elif "jql" in config:
            prepared.jql = config["jql"]
        if "board_id" in config:
            try:
                board, project = await access_board(session, actor, config["board_id"])
            except NotFound:
                raise NotFound("This gadget's board does not exist or is not shared with you.") from None
            saved = await board_filter(session, actor, board)
            prepared.board, prepared.project, prepared.jql = board, project, saved.jql if saved else None
            prepared.material = {"board_version": board.version}
        prepared.per_viewer = prepared.per_viewer or depends_on_viewer(prepared.jql)
        prepared.material = {**prepared.material, "jql": prepared.jql}
    except TesseraError as error:
        prepared.error = {"code": error.code, "message": error.message}
    return prepared


async def _statistics(session: AsyncSession, actor: Actor, prepared: Prepared, now: datetime) -> dict[str, Any]:
    config = prepared.gadget["config"]
    catalog = await catalog_for(session, actor)
    selection = await select_issues(session, actor=actor, jql=prepared.jql, now=now)
    if prepared.gadget["type"] == "pie_chart":
        stat = resolve_stat_field(catalog, config["field"])
        counts = await count_by(session, selection, [stat], catalog)
        labels = await value_labels(session, actor.organization_id, catalog, stat, {key[0] for key in counts})
        total = await count_issues(session, selection)
        ordered = sorted(counts.items(), key=lambda entry: (-entry[1], labels[entry[0][0]].casefold()))
        limit = config["max_slices"]
        shown = ordered if len(ordered) <= limit else ordered[:limit - 1]
        slices = [{"id": key[0], "label": labels[key[0]], "count": count,
                   "percent": round(100 * count / total, 1) if total else 0.0} for key, count in shown]
        rest = sum(count for _, count in ordered[len(shown):])
        if rest:
            slices.append({"id": None, "label": "Other", "count": rest, "percent": round(100 * rest / total, 1)})
        return {"field": {"name": stat.name, "label": stat.label}, "total": total, "slices": slices}
    x, y = resolve_stat_field(catalog, config["x_field"]), resolve_stat_field(catalog, config["y_field"])
    counts = await count_by(session, selection, [x, y], catalog)
    x_totals: dict[Any, int] = {}
    y_totals: dict[Any, int] = {}
    for (x_value, y_value), count in counts.items():
        x_totals[x_value] = x_totals.get(x_value, 0) + count
        y_totals[y_value] = y_totals.get(y_value, 0) + count
    x_labels = await value_labels(session, actor.organization_id, catalog, x, set(x_totals))
    y_labels = await value_labels(session, actor.organization_id, catalog, y, set(y_totals))
    columns = sorted(x_totals, key=lambda v: (-x_totals[v], x_labels[v].casefold()))[:config["max_columns"]]
    rows = sorted(y_totals, key=lambda v: (-y_totals[v], y_labels[v].casefold()))[:config["max_rows"]]
    return {"x_field": {"name": x.name, "label": x.label}, "y_field": {"name": y.name, "label": y.label},
            "total": await count_issues(session, selection),
            "columns": [{"id": v, "label": x_labels[v], "total": x_totals[v]} for v in columns],
            "rows": [{"id": v, "label": y_labels[v], "total": y_totals[v],
                      "counts": [counts.get((c, v), 0) for c in columns]} for v in rows],
            "truncated": len(columns) < len(x_totals) or len(rows) < len(y_totals)}


async def _issues(session: AsyncSession, actor: Actor, jql: str, config: dict[str, Any]) -> dict[str, Any]:
    page = await search_issues(session, actor=actor, jql=jql, max_results=config["max_results"])
    return {"total": page.total, "columns": config["columns"],
            "issues": await issue_rows(session, actor=actor, issues=page.issues, columns=config["columns"])}


async def _board_sprint(session: AsyncSession, actor: Actor, prepared: Prepared) -> int | None:
    """The configured sprint if it is the board's, else the board's latest active, else latest completed one."""
    assert prepared.board is not None
    sprints = await board_sprints(session, actor.organization_id, prepared.board.id, ("active", "closed"))
    wanted = prepared.gadget["config"].get("sprint_id")
    if wanted is not None:
        if all(sprint.id != wanted for sprint in sprints):
            raise NotFound("This gadget's sprint is not a started sprint of its board.")
        return wanted
    links = await sprint_links(session, actor.organization_id, [sprint.id for sprint in sprints])
    runs = [run for run in (sprint_run(s, links.get(s.id)) for s in sprints) if run is not None]
    active = [run for run in runs if run.sprint.state == "active"]
    if active:
        return max(active, key=lambda run: (run.started, run.sprint.id)).sprint.id
    closed = [run for run in runs if run.completed is not None]
    return max(closed, key=lambda run: (run.completed, run.sprint.id)).sprint.id if closed else None  # type: ignore


async def compute(session: AsyncSession, actor: Actor, prepared: Prepared, now: datetime) -> dict[str, Any]:
    """{"data": ...} or {"error": {"code", "message"}} for one gadget."""
    if prepared.error is not None:
        return {"error": prepared.error}
    kind, config = prepared.gadget["type"], prepared.gadget["config"]
    try:
        if kind == "filter_results":
            data = await _issues(session, actor, prepared.jql or "", config)
        elif kind == "assigned_to_me":
            data = await _issues(session, actor, ASSIGNED_TO_ME, config)
        elif kind in ("pie_chart", "two_dimensional"):
            data = await _statistics(session, actor, prepared, now)
        elif kind == "created_vs_resolved":
            report = await created_vs_resolved_report(session, actor=actor, project=None, jql=prepared.jql,
                                                      period=config["period"], interval=config["interval"],
                                                      cumulative=config["cumulative"], now=now)
            data = {key: report.data[key] for key in ("window", "interval", "cumulative", "totals", "periods")}
        elif kind == "activity_stream":
            selection = await select_issues(session, actor=actor, jql=prepared.jql, now=now)
            data = {"entries": await recent_activity(session, actor=actor, selection=selection,
                                                     limit=config["max_results"])}
        elif kind == "sprint_burndown":
            assert prepared.project is not None
            sprint_id = await _board_sprint(session, actor, prepared)
            if sprint_id is None:
                data = {"sprint": None, "message": "The board has no started sprint yet."}
            else:
                report = await burndown_report(session, actor=actor, project=prepared.project, sprint_ref=sprint_id,
                                               estimate_ref=config["estimate"], jql=prepared.jql, now=now)
                data = {key: value for key, value in report.data.items() if key not in ("project", "jql")}
        else:  # velocity
            assert prepared.project is not None and prepared.board is not None
            closed = await board_sprints(session, actor.organization_id, prepared.board.id, ("closed",))
            report = await velocity_report(session, actor=actor, project=prepared.project, period=config["period"],
                                           estimate_ref=config["estimate"], jql=prepared.jql,
                                           forecast_sprints=config["forecast"], sprint_ids=[s.id for s in closed],
                                           now=now)
            data = {key: value for key, value in report.data.items() if key not in ("project", "jql")}
    except TesseraError as error:
        return {"error": {"code": error.code, "message": error.message}}
    return {"data": data}
