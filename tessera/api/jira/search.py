"""/rest/api/2/search (GET and POST): JQL through the same search engine as /v2, issues in
Jira's JSON, paged with startAt / maxResults / total.

`validateQuery=false` (or `warn`) still refuses a query that does not parse; unknown fields or
values then answer an empty page with `warningMessages`, as Jira does, instead of a 400.

Jira Cloud's enhanced search, `/search/jql` (GET and POST, under /rest/api/3 and /rest/api/2
alike, as the `jira` client calls both): pages follow `nextPageToken`, an opaque token signed
with the server's secret key that carries the next offset and is bound to the organization,
the user and the query; the answer has `isLast` and no total. Its JQL must restrict the search
(an empty query or a bare ORDER BY is refused) and its fields default to none but the id.
`/search/approximate-count` answers the exact count."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from tessera.api.jira.bodies import as_int, json_object
from tessera.api.jira.dialect import links_for
from tessera.api.jira.issues import parse_expand
from tessera.crypto.signed import BadSignature, sign, verify
from tessera.db.refs import parse_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput
from tessera.issues.references import catalog_for
from tessera.jira_format.fields import select_fields
from tessera.jira_format.issue_json import issue_columns, render_jira_issues
from tessera.jira_format.shapes import split_values
from tessera.jql.parser import MAX_QUERY_LENGTH, JqlSyntaxError
from tessera.jql.search import MAX_RESULTS, search_issues
from tessera.tenancy.actor import Actor

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
DEFAULT_MAX = 50


def _validate_mode(value: object) -> bool:
    """True: invalid queries are errors (Jira Server's default and `strict`)."""
    if value is None or isinstance(value, bool):
        return value is not False
    text = str(value).strip().lower()
    return text not in ("false", "warn", "none", "0")


def _checked_jql(jql: object) -> str:
    if jql is not None and (not isinstance(jql, str) or len(jql) > MAX_QUERY_LENGTH + 1000):
        raise InvalidInput("The JQL query is text of a sane length.", field="jql")
    return jql or ""


async def _search(ctx: RequestContext, *, jql: object, start_at: object, max_results: object, fields: list[str],
                  expand: str | None, validate: bool) -> JSONResponse:
    """A JSONResponse: the page is JSON already, and FastAPI's validation and encoding of a
    returned dict (some 40,000 values in a page of 1,000 issues) cost as much as building it."""
    jql = _checked_jql(jql)
    start = as_int(start_at, field="startAt", default=0, maximum=10_000_000)
    limit = min(as_int(max_results, field="maxResults", default=DEFAULT_MAX, maximum=100_000), MAX_RESULTS)
    links = links_for(ctx)
    expansions = parse_expand(expand)
    async with ctx.transaction(write=False, search=True) as (session, actor):
        catalog = await catalog_for(session, actor)
        selection = select_fields(catalog, fields, default="*navigable")
        try:
            found = await search_issues(session, actor=actor, jql=jql, start_at=start, max_results=limit,
                                        as_rows=True, columns=issue_columns(catalog, selection, expansions))
        except InvalidInput as error:
            if validate or isinstance(error, JqlSyntaxError):
                raise
            return JSONResponse({"startAt": start, "maxResults": limit, "total": 0, "issues": [],
                                 "warningMessages": [error.message]})
        issues = await render_jira_issues(session, actor=actor, issues=found.issues, links=links,
                                          selection=selection, expand=expansions)
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


# --- Jira Cloud's enhanced search --------------------------------------------------------------

PAGE_TOKEN_PURPOSE = "jira-search-page"
PAGE_TOKEN_LIFETIME = 7 * 24 * 3600  # as long as Jira Cloud's tokens are valid
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
MAX_RECONCILED = 50
Text = Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH + 1000)]
Short = Annotated[str | None, Query(max_length=20)]


def _query_fingerprint(jql: str) -> str:
    return hashlib.sha256(jql.encode()).hexdigest()[:32]


def _bounded_jql(jql: object) -> str:
    text = _checked_jql(jql)
    if not text.strip() or text.strip().lower().startswith("order by"):
        raise InvalidInput(UNBOUNDED, field="jql")
    return text


def _page_token(ctx: RequestContext, actor: Actor, jql: str, offset: int) -> str:
    return sign(ctx.settings.secret_key, PAGE_TOKEN_PURPOSE, {"o": actor.organization_id, "u": actor.user_id,
                                                              "q": _query_fingerprint(jql), "s": offset},
                max_age_seconds=PAGE_TOKEN_LIFETIME)


def _offset_of(ctx: RequestContext, actor: Actor, jql: str, token: object) -> int:
    """The offset a `nextPageToken` carries; refused when it was altered, has expired, or was
    made for another query, user or organization."""
    if token is None or token == "":
        return 0
    invalid = InvalidInput("The nextPageToken is not valid for this query; start again without it.",
                           field="nextPageToken")
    if not isinstance(token, str) or len(token) > 1000:
        raise invalid
    try:
        payload = verify(ctx.settings.secret_key, PAGE_TOKEN_PURPOSE, token)
    except BadSignature:
        raise invalid from None
    offset = payload.get("s")
    if payload.get("o") != actor.organization_id or payload.get("u") != actor.user_id or \
            payload.get("q") != _query_fingerprint(jql) or not isinstance(offset, int) or offset < 0:
        raise invalid
    return offset


def _reconciled(value: object) -> None:
    """`reconcileIssues` (ids to read after a write): Tessera reads its own writes, so the list
    is only checked."""
    if value is None:
        return
    if not isinstance(value, list) or len(value) > MAX_RECONCILED or not all(
            parse_id(item) is not None for item in value):
        raise InvalidInput(f"'reconcileIssues' is a list of up to {MAX_RECONCILED} issue ids.",
                           field="reconcileIssues")


async def _enhanced_search(ctx: RequestContext, *, jql: object, token: object, max_results: object,
                           fields: list[str], expand: str | None) -> dict[str, Any]:
    jql = _bounded_jql(jql)
    limit = min(as_int(max_results, field="maxResults", default=DEFAULT_MAX, maximum=100_000), MAX_RESULTS)
    links = links_for(ctx)
    async with ctx.transaction(write=False, search=True) as (session, actor):
        start = _offset_of(ctx, actor, jql, token)
        found = await search_issues(session, actor=actor, jql=jql, start_at=start, max_results=limit)
        selection = select_fields(await catalog_for(session, actor), fields, default="id")
        issues = await render_jira_issues(session, actor=actor, issues=found.issues, links=links,
                                          selection=selection, expand=parse_expand(expand))
    following = start + len(found.issues)
    answer: dict[str, Any] = {"issues": issues, "isLast": following >= found.total or not found.issues}
    if not answer["isLast"]:
        answer["nextPageToken"] = _page_token(ctx, actor, jql, following)
    return answer


@router.get("/search/jql")
async def enhanced_search_get(ctx: Ctx, jql: Text = None, nextPageToken: Annotated[str | None, Query(
                                  max_length=1000)] = None, maxResults: Short = None,
                              fields: Annotated[list[str] | None, Query(max_length=500)] = None,
                              expand: Annotated[str | None, Query(max_length=500)] = None,
                              properties: Annotated[list[str] | None, Query(max_length=5)] = None,
                              fieldsByKeys: Short = None, failFast: Short = None,
                              reconcileIssues: Annotated[list[str] | None, Query(max_length=MAX_RECONCILED)] = None
                              ) -> dict:
    _reconciled(reconcileIssues)
    return await _enhanced_search(ctx, jql=jql, token=nextPageToken, max_results=maxResults,
                                  fields=split_values(fields), expand=expand)


@router.post("/search/jql")
async def enhanced_search_post(request: Request, ctx: Ctx) -> dict:
    """Body: {"jql", "nextPageToken", "maxResults", "fields": [...], "expand": "a,b", "properties",
    "fieldsByKeys", "failFast", "reconcileIssues"}; null is absent (the `jira` client sends nulls)."""
    body = await json_object(request)
    fields, expand = body.get("fields"), body.get("expand")
    if fields is not None and not (isinstance(fields, list | str) and len(fields) <= 500):
        raise InvalidInput("'fields' is a list of field ids.", field="fields")
    if expand is not None and not isinstance(expand, list | str):
        raise InvalidInput("'expand' is a comma-separated list of expansions.", field="expand")
    _reconciled(body.get("reconcileIssues"))
    return await _enhanced_search(ctx, jql=body.get("jql"), token=body.get("nextPageToken"),
                                  max_results=body.get("maxResults"),
                                  fields=split_values([str(f) for f in fields] if isinstance(fields, list) else fields),
                                  expand=",".join(map(str, expand)) if isinstance(expand, list) else expand)


@router.post("/search/approximate-count")
async def approximate_count(request: Request, ctx: Ctx) -> dict:
    """Jira Cloud's count of a bounded query; Tessera's is exact."""
    jql = _bounded_jql((await json_object(request)).get("jql"))
    async with ctx.transaction(write=False, search=True) as (session, actor):
        found = await search_issues(session, actor=actor, jql=jql, max_results=0, count_only=True)
    return {"count": found.total}
