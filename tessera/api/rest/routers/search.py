"""/v2/search: JQL search, POST with a body as in the seed, or GET with query parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tessera.api.rest.errors import SEARCH_QUOTA_DOC
from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.issues import SearchPageOut
from tessera.edge.context import RequestContext, request_context
from tessera.jql.parser import MAX_QUERY_LENGTH
from tessera.jql.rendering import page_columns, render_search_page
from tessera.jql.search import search_issues

router = APIRouter(prefix="/v2", tags=["search"])
Ctx = Annotated[RequestContext, Depends(request_context)]
EXPANSIONS = frozenset({"changelog", "comments"})


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jql: str = Field(default="", max_length=MAX_QUERY_LENGTH + 1000)
    fields: list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=500)
    expand: list[Annotated[str, Field(max_length=50)]] | str = Field(default_factory=list)
    start_at: int = Field(default=0, ge=0, le=10_000_000)
    max_results: int = Field(default=50, ge=0, le=100_000, description="Capped at 1000.")


def _expand(value: list[str] | str | None) -> frozenset[str]:
    parts = value.split(",") if isinstance(value, str) else (value or [])
    return frozenset(p.strip().lower() for p in parts if p.strip()) & EXPANSIONS


async def _search(ctx: RequestContext, *, jql: str, fields: list[str] | None, expand: frozenset[str],
                  start_at: int, max_results: int) -> JSONResponse:
    """The page as a JSONResponse: the views are JSON already, and FastAPI's jsonable_encoder
    walking a page of 1,000 issues (some 40,000 values) cost more than rendering them."""
    async with ctx.transaction(write=False, search=True) as (session, actor):
        page = await search_issues(session, actor=actor, jql=jql, start_at=start_at, max_results=max_results,
                                   as_rows=True, columns=page_columns(fields))
        return JSONResponse(await render_search_page(session, actor=actor, page=page, base_url=ctx.settings.base_url,
                                                     fields=fields, expand=expand))


@router.post("/search", responses={**ok(SearchPageOut), **SEARCH_QUOTA_DOC})
async def search_post(body: SearchBody, ctx: Ctx) -> JSONResponse:
    return await _search(ctx, jql=body.jql, fields=body.fields, expand=_expand(body.expand),
                         start_at=body.start_at, max_results=body.max_results)


@router.get("/search", responses={**ok(SearchPageOut), **SEARCH_QUOTA_DOC})
async def search_get(ctx: Ctx, jql: Annotated[str, Query(max_length=MAX_QUERY_LENGTH + 1000)] = "",
                     start_at: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                     max_results: Annotated[int, Query(ge=0, le=100_000)] = 50,
                     fields: Annotated[str | None, Query(max_length=5000)] = None,
                     expand: Annotated[str | None, Query(max_length=200)] = None) -> JSONResponse:
    wanted = [f for f in (fields or "").split(",") if f.strip()] or None
    return await _search(ctx, jql=jql, fields=wanted, expand=_expand(expand), start_at=start_at,
                         max_results=max_results)
