"""/rest/api/2/search (GET and POST): JQL through the same search engine as /v2, issues in
Jira's JSON, paged with startAt / maxResults / total.

`validateQuery=false` (or `warn`) still refuses a query that does not parse; unknown fields or
values then answer an empty page with `warningMessages`, as Jira does, instead of a 400."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from tessera.api.jira.bodies import as_int, json_object
from tessera.api.jira.issues import parse_expand
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput
from tessera.issues.references import catalog_for
from tessera.jira_format.fields import select_fields
from tessera.jira_format.issue_json import render_jira_issues
from tessera.jira_format.shapes import Links, split_values
from tessera.jql.parser import MAX_QUERY_LENGTH, JqlSyntaxError
from tessera.jql.search import MAX_RESULTS, search_issues

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
DEFAULT_MAX = 50


def _validate_mode(value: object) -> bool:
    """True: invalid queries are errors (Jira Server's default and `strict`)."""
    if value is None or isinstance(value, bool):
        return value is not False
    text = str(value).strip().lower()
    return text not in ("false", "warn", "none", "0")


async def _search(ctx: RequestContext, *, jql: object, start_at: object, max_results: object, fields: list[str],
                  expand: str | None, validate: bool) -> JSONResponse:
    """A JSONResponse: the page is JSON already, and FastAPI's validation and encoding of a
    returned dict (some 40,000 values in a page of 1,000 issues) cost as much as building it."""
    if jql is not None and (not isinstance(jql, str) or len(jql) > MAX_QUERY_LENGTH + 1000):
        raise InvalidInput("The JQL query is text of a sane length.", field="jql")
    start = as_int(start_at, field="startAt", default=0, maximum=10_000_000)
    limit = min(as_int(max_results, field="maxResults", default=DEFAULT_MAX, maximum=100_000), MAX_RESULTS)
    links = Links(ctx.settings.base_url)
    async with ctx.transaction(write=False, search=True) as (session, actor):
        try:
            found = await search_issues(session, actor=actor, jql=jql or "", start_at=start, max_results=limit,
                                        as_rows=True)
        except InvalidInput as error:
            if validate or isinstance(error, JqlSyntaxError):
                raise
            return JSONResponse({"startAt": start, "maxResults": limit, "total": 0, "issues": [],
                                 "warningMessages": [error.message]})
        selection = select_fields(await catalog_for(session, actor), fields, default="*navigable")
        issues = await render_jira_issues(session, actor=actor, issues=found.issues, links=links,
                                          selection=selection, expand=parse_expand(expand))
    return JSONResponse({"expand": "schema,names", "startAt": found.start_at, "maxResults": found.max_results,
                         "total": found.total, "issues": issues})


@router.get("/search", response_model=dict)
async def search_get(ctx: Ctx, jql: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH + 1000)] = None,
                     startAt: Annotated[str | None, Query(max_length=20)] = None,
                     maxResults: Annotated[str | None, Query(max_length=20)] = None,
                     fields: Annotated[list[str] | None, Query(max_length=500)] = None,
                     expand: Annotated[str | None, Query(max_length=500)] = None,
                     validateQuery: Annotated[str | None, Query(max_length=10)] = None,
                     properties: Annotated[str | None, Query(max_length=500)] = None) -> JSONResponse:
    return await _search(ctx, jql=jql, start_at=startAt, max_results=maxResults, fields=split_values(fields),
                         expand=expand, validate=_validate_mode(validateQuery))


@router.post("/search", response_model=dict)
async def search_post(request: Request, ctx: Ctx) -> JSONResponse:
    """Body as Jira documents it: {"jql", "startAt", "maxResults", "fields": [...], "expand": [...] or "a,b",
    "validateQuery"}."""
    body = await json_object(request)
    fields = body.get("fields")
    expand = body.get("expand")
    if fields is not None and not (isinstance(fields, list | str) and len(fields) <= 500):
        raise InvalidInput("'fields' is a list of field ids.", field="fields")
    if expand is not None and not isinstance(expand, list | str):
        raise InvalidInput("'expand' is a list of expansions.", field="expand")
    return await _search(ctx, jql=body.get("jql"), start_at=body.get("startAt"), max_results=body.get("maxResults"),
                         fields=split_values([str(f) for f in fields] if isinstance(fields, list) else fields),
                         expand=",".join(map(str, expand)) if isinstance(expand, list) else expand,
                         validate=_validate_mode(body.get("validateQuery")))
