"""Search with JQL: the query editor (autocomplete from /v2/jql/autocomplete, static/jql.js), the
results table with chosen columns and sorting by header, errors shown where they are in the
query, saving the query as a (shared) filter, and the results as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tessera.audit.chain import record
from tessera.errors import InvalidInput
from tessera.issues.references import catalog_for
from tessera.issues.views import render_issues, row_columns
from tessera.jql.filters import check_create_filter, list_filters
from tessera.jql.search import search_issues
from tessera.reports.exports import cell
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.web.projects import page_number

router = APIRouter(route_class=WebRoute)
files = APIRouter()  # not pages: errors answer as the API's JSON, not as an HTML page
PAGE_SIZE = 25
EXPORT_LIMIT = 1000
DEFAULT_JQL = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC"


class Column:
    def __init__(self, name: str, label: str, sort: str | None, keys: Sequence[str]) -> None:
        self.name, self.label, self.sort, self.keys = name, label, sort, tuple(keys)


# What the table can show: the JQL field a header sorts by (None: not sortable) and the view keys
# it reads (only these are built, tessera.issues.views.render_issues).
COLUMNS = {c.name: c for c in (
    Column("type", "Type", "issuetype", ["issue_type"]), Column("key", "Key", "key", []),
    Column("summary", "Summary", "summary", ["summary", "labels"]), Column("status", "Status", "status", ["status"]),
    Column("priority", "Priority", "priority", ["priority"]), Column("assignee", "Assignee", "assignee", ["assignee"]),
    Column("reporter", "Reporter", "reporter", ["reporter"]), Column("created", "Created", "created", ["created"]),
    Column("updated", "Updated", "updated", ["updated"]), Column("due", "Due", "due", ["due_date"]),
)}
DEFAULT_COLUMNS = ("type", "key", "summary", "status", "priority", "assignee", "updated")


def chosen_columns(values: Sequence[str]) -> list[str]:
    """Known names in the order given, without repeats; none known: the default set."""
    names = [name for name in dict.fromkeys(v.strip().lower() for v in values) if name in COLUMNS]
    return names or list(DEFAULT_COLUMNS)


def _order_by_start(jql: str) -> int | None:
    """Where the query's ORDER BY clause starts (outside quoted text), or None."""
    quote: str | None = None
    index, lowered = 0, jql.lower()
    found: int | None = None
    while index < len(jql):
        char = jql[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif lowered.startswith("order", index) and (index == 0 or not jql[index - 1].isalnum()):
            rest = lowered[index + 5:]
            if rest[:1].isspace() and rest.lstrip().startswith("by"):
                found = index
        index += 1
    return found


def current_sort(jql: str) -> tuple[str, str] | None:
    """The first sort key of the query, lowercased, with its direction (asc/desc) if written."""
    start = _order_by_start(jql)
    if start is None:
        return None
    clause = jql[start:].split(None, 2)
    words = clause[2].split(",")[0].split() if len(clause) > 2 else []
    if not words:
        return None
    direction = words[-1].lower() if len(words) > 1 and words[-1].lower() in ("asc", "desc") else ""
    field = " ".join(words[:-1] if direction else words).strip("\"'").lower()
    return field, direction


def sorted_by(jql: str, field: str) -> str:
    """The query ordered by `field` alone: descending when it was already ascending on it."""
    now = current_sort(jql)
    direction = "DESC" if now and now[0] == field.lower() and now[1] == "asc" else "ASC"
    start = _order_by_start(jql)
    where = (jql if start is None else jql[:start]).rstrip()
    return f"{where} ORDER BY {field} {direction}".strip()


def _error_marker(text: str, error: InvalidInput) -> dict[str, Any] | None:
    """The line of the query the error is on, and the column (1-based) it points at."""
    data = error.data or {}
    line, column = data.get("line"), data.get("column")
    if not isinstance(line, int) or not isinstance(column, int):
        return None
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    offset = sum(len(item) + 1 for item in lines[:line - 1]) + column - 1
    return {"line": line, "column": column, "text": lines[line - 1], "offset": min(offset, len(text))}


def view_keys(shown: list[str]) -> set[str]:
    """The issue view keys the shown columns need (render_issues' `only`)."""
    return {key for name in shown for key in COLUMNS[name].keys}


@router.get("/search")
async def search_page(web: Web, jql: str | None = None, page: str = "1", columns: str = "",
                      column: Annotated[list[str] | None, Query(max_length=20)] = None, saved: str = "") -> Response:
    """`columns`: the chosen columns, comma-separated; `column`: the same as the chooser's boxes send them."""
    text = DEFAULT_JQL if jql is None else jql[:10_000]
    number = page_number(page)
    shown = chosen_columns([*columns.split(","), *(column or [])[:20]])
    error: InvalidInput | None = None
    rows: list[dict] = []
    total = 0
    keys = view_keys(shown)
    async with web.transaction(search=True) as (session, actor):
        try:
            found = await search_issues(session, actor=actor, jql=text, start_at=(number - 1) * PAGE_SIZE,
                                        max_results=PAGE_SIZE, as_rows=True, columns=row_columns(keys))
        except InvalidInput as invalid:
            error = invalid
        else:
            total = found.total
            rows = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=found.issues,
                                       catalog=await catalog_for(session, actor), only=keys)
        favourites, _ = await list_filters(session, actor, favourite=True, max_results=20)
    column_param = {} if shown == list(DEFAULT_COLUMNS) else {"columns": ",".join(shown)}

    def url(query: str, target: int = 1, path: str = "/search") -> str:
        paging = {"page": str(target)} if target > 1 else {}
        return path + "?" + urlencode({"jql": query, **column_param, **paging})

    values = dict(jql=text, error=error.message if error else None,
                  marker=_error_marker(text, error) if error else None, rows=rows, total=total, page=number, pages=max(1, -(-total // PAGE_SIZE)),
                  page_url=lambda target: url(text, target), sort_url=lambda field: url(sorted_by(text, field)),
                  sort=current_sort(text), columns=[COLUMNS[name] for name in shown], all_columns=COLUMNS.values(),
                  shown=shown, custom_columns=bool(column_param), self_url=url(text, number),
                  export_url=url(text, path="/search/export.csv"),
                  favourites=favourites, saved=saved, first=(number - 1) * PAGE_SIZE + 1 if total else 0,
                  last=min(number * PAGE_SIZE, total), nav="search")
    if web.is_htmx and web.request.headers.get("hx-target") == "search-results":
        return web.render("partials/search_results.html", **values)
    return web.render("search.html", status_code=400 if error else 200, **values)


@files.get("/search/export.csv")
async def export_csv(web: Web, jql: str = "", columns: str = "") -> Response:
    """The first EXPORT_LIMIT issues the query finds, in the chosen columns; recorded in the audit
    log as data leaving the system."""
    shown = chosen_columns(columns.split(","))
    keys = view_keys(shown)
    async with web.transaction(search=True, write=True) as (session, actor):
        found = await search_issues(session, actor=actor, jql=jql[:10_000], max_results=EXPORT_LIMIT, as_rows=True,
                                    columns=row_columns(keys))
        rows = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=found.issues,
                                   catalog=await catalog_for(session, actor), only=keys)
        record(session, organization_id=actor.organization_id, action="issues.exported", object_type="search",
               changes={"jql": jql[:1000], "format": "csv", "rows": len(rows)}, actor_user_id=actor.user_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([COLUMNS[name].label for name in shown])
    writer.writerows([[cell(_plain(name, row)) for name in shown] for row in rows])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="issues.csv"'})


def _plain(name: str, row: dict) -> Any:
    value = row.get({"type": "issue_type", "due": "due_date"}.get(name, name))
    if isinstance(value, dict):
        return value.get("name") or value.get("display_name") or value.get("key")
    return value


@router.post("/search/filters")
async def save_filter(web: Web) -> Response:
    """Save the query as a filter (a favourite of its owner), shared with the whole
    organization when asked; refused input is shown again on the search page, in place."""
    form = await web.form()
    jql, name = form.get("jql", "")[:10_000], form.get("name", "")
    shares = [{"type": "organization"}] if form.get("share") == "organization" else []
    try:
        async with web.transaction() as (session, actor):
            saved = await check_create_filter(session, actor=actor, name=name, jql=jql, shares=shares,
                                              favourite=True)
            saved_id = saved.id
    except InvalidInput as error:
        return web.render("partials/save_filter.html", status_code=400, jql=jql, name=name, share=form.get("share"),
                          filter_error=error.message)
    target = "/search?" + urlencode({"jql": jql, "saved": str(saved_id)})
    return web.redirect(target)


router.include_router(files)
