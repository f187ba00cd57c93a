"""/rest/api/2/jql/autocompletedata (every field, function and reserved word, for query editors)
and /jql/autocompletedata/suggestions (values of a field), in Jira's shapes; the content is
tessera.jql.autocomplete's, as /v2/jql/autocomplete answers it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tessera.edge.context import RequestContext, request_context
from tessera.jql.autocomplete import autocomplete_data, suggest_values

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Text = Annotated[str | None, Query(max_length=255)]


@router.get("/jql/autocompletedata")
async def jql_autocomplete_data(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        data = await autocomplete_data(session, actor)
    fields = [{"value": f["value"], "displayName": f["display"], "orderable": str(bool(f["orderable"])).lower(),
               "searchable": str(bool(f["searchable"])).lower(), "operators": [op.lower() for op in f["operators"]],
               **({"cfid": f["cf_id"]} if f.get("cf_id") else {})} for f in data["fields"]]
    functions = [{"value": f["value"], "displayName": f["display"], "types": f["types"]} for f in data["functions"]]
    return {"visibleFieldNames": fields, "visibleFunctionNames": functions, "jqlReservedWords": data["reserved_words"]}


@router.get("/jql/autocompletedata/suggestions")
async def jql_suggestions(ctx: Ctx, fieldName: Text = None, fieldValue: Text = None,  # noqa: N803 (Jira's names)
                          predicateName: Text = None, predicateValue: Text = None) -> dict:  # noqa: N803
    """Values of `fieldName` starting with `fieldValue` (predicates such as `WAS … BY` are not
    narrowed further: their values are the field's). No field: no suggestions, as in Jira."""
    if not fieldName:
        return {"results": []}
    async with ctx.transaction() as (session, actor):
        found = await suggest_values(session, actor, field=fieldName, value=fieldValue or "")
    return {"results": [{"value": s["value"], "displayName": s["display"]} for s in found]}
