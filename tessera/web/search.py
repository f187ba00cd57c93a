"""Search with JQL: a query box, the results table, and errors shown where the query is."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.errors import InvalidInput
from tessera.issues.references import catalog_for
from tessera.issues.views import render_issues, row_columns
from tessera.jql.filters import list_filters
from tessera.jql.search import search_issues
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.web.projects import ISSUE_TABLE_KEYS, page_number

router = APIRouter(route_class=WebRoute)
PAGE_SIZE = 25
DEFAULT_JQL = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC"


@router.get("/search")
async def search_page(web: Web, jql: str | None = None, page: str = "1") -> Response:
    text = DEFAULT_JQL if jql is None else jql[:10_000]
    number = page_number(page)
    error: str | None = None
    rows: list[dict] = []
    total = 0
    async with web.transaction(search=True) as (session, actor):
        try:
            found = await search_issues(session, actor=actor, jql=text, start_at=(number - 1) * PAGE_SIZE,
                                        max_results=PAGE_SIZE, as_rows=True, columns=row_columns(ISSUE_TABLE_KEYS))
        except InvalidInput as invalid:
            error = invalid.message
        else:
            total = found.total
            rows = await render_issues(session, organization_id=actor.organization_id, issues=found.issues,
                                       catalog=await catalog_for(session, actor), only=ISSUE_TABLE_KEYS)
        favourites, _ = await list_filters(session, actor, favourite=True, max_results=20)

    def page_url(target: int) -> str:
        return "/search?" + urlencode({"jql": text, **({"page": str(target)} if target > 1 else {})})

    return web.render("search.html", jql=text, error=error, rows=rows, total=total, page=number,
                      pages=max(1, -(-total // PAGE_SIZE)), page_url=page_url, filters={}, favourites=favourites,
                      first=(number - 1) * PAGE_SIZE + 1 if total else 0, last=min(number * PAGE_SIZE, total),
                      nav="search", status_code=400 if error else 200)
