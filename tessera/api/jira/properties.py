"""/rest/api/2/issue/{issue}/properties[/{propertyKey}]: Jira's issue properties (any JSON value
kept on an issue under a key). Reading needs Browse Projects; writing, Edit Issues."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response

from tessera.api.jira.bodies import json_body
from tessera.api.jira.dialect import links_for
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput
from tessera.issues.properties.service import (
    check_delete_issue_property,
    check_set_issue_property,
    get_issue_property,
    list_issue_properties,
)
from tessera.issues.service import access_issue

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


@router.get("/issue/{issue_ref}/properties")
async def property_keys(issue_ref: str, ctx: Ctx) -> dict:
    api = links_for(ctx).api
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        found = await list_issue_properties(session, issue=issue)
    return {"keys": [{"self": f"{api}/issue/{issue.id}/properties/{quote(p.key, safe='')}", "key": p.key}
                     for p in found]}


@router.get("/issue/{issue_ref}/properties/{property_key}")
async def get_property(issue_ref: str, property_key: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        found = await get_issue_property(session, issue=issue, key=property_key)
    return {"key": found.key, "value": found.value}


@router.put("/issue/{issue_ref}/properties/{property_key}")
async def set_property(issue_ref: str, property_key: str, request: Request, ctx: Ctx) -> Response:
    """The body is the value, any JSON but null; 201 when the property is new, 200 when replaced."""
    value = await json_body(request)
    if value is None:
        raise InvalidInput("The property value must be valid JSON other than null.", field="value")
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        created = await check_set_issue_property(session, actor=actor, issue=issue, project=project,
                                                 key=property_key, value=value)
    return Response(status_code=201 if created else 200)


@router.delete("/issue/{issue_ref}/properties/{property_key}", status_code=204)
async def delete_property(issue_ref: str, property_key: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        await check_delete_issue_property(session, actor=actor, issue=issue, project=project, key=property_key)
    return Response(status_code=204)
