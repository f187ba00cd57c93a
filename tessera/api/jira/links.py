"""/rest/api/2/issueLink, /issueLinkType and /issue/{issue}/remotelink.

Direction, as Jira does it: POST {"type": "Blocks", "inwardIssue": A, "outwardIssue": B} makes
"A blocks B"; A's `issuelinks` then shows B as its `outwardIssue`, B's shows A as `inwardIssue`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from tessera.api.jira.bodies import json_object, ref_of
from tessera.api.jira.dialect import comment_body_from, is_cloud, links_for
from tessera.db.refs import parse_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.issues.comments.service import check_add_comment
from tessera.issues.links import access_link, check_create_link, check_delete_link
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.remote_links.models import RemoteLink
from tessera.issues.remote_links.service import (
    access_remote_link,
    check_delete_remote_link,
    check_put_remote_link,
    list_remote_links,
)
from tessera.issues.service import access_issue
from tessera.jira_format.shapes import Links, issuetype_json, status_json

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


def link_type_json(links: Links, link_type: Any) -> dict[str, Any]:
    return {"id": str(link_type.id), "name": link_type.name, "inward": link_type.inward,
            "outward": link_type.outward, "self": f"{links.api}/issueLinkType/{link_type.id}"}


def _issue_ref_json(links: Links, catalog: OrgCatalog, issue: Issue) -> dict[str, Any]:
    status, kind = catalog.status(issue.status_id), catalog.issue_type(issue.issue_type_id)
    return {"id": str(issue.id), "key": issue.key, "self": links.issue(issue.id),
            "fields": {"summary": issue.summary,
                       "status": status_json(links, status.id, status.name, status.category),
                       "issuetype": issuetype_json(links, kind.id, kind.name, kind.subtask)}}


@router.get("/issueLinkType")
async def link_types(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        catalog = await catalog_for(session, actor)
    links = links_for(ctx)
    return {"issueLinkTypes": [link_type_json(links, t) for t in catalog.link_types]}


@router.get("/issueLinkType/{type_id}")
async def link_type(type_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        catalog = await catalog_for(session, actor)
    found = next((t for t in catalog.link_types if t.id == parse_id(type_id)), None)
    if found is None:
        raise NotFound(f"No issue link type with id '{type_id[:40]}' exists.")
    return link_type_json(links_for(ctx), found)


@router.post("/issueLink", status_code=201)
async def create_link(request: Request, ctx: Ctx) -> Response:
    body = await json_object(request)
    if isinstance(body.get("comment"), dict):
        body["comment"] = comment_body_from(body["comment"], cloud=is_cloud(ctx))
    link_type = ref_of(body.get("type"), "id", "name")
    source = ref_of(body.get("inwardIssue"), "key", "id")
    target = ref_of(body.get("outwardIssue"), "key", "id")
    if link_type is None or source is None or target is None:
        raise InvalidInput("'type', 'inwardIssue' and 'outwardIssue' are required.", field="type")
    comment = body.get("comment")
    async with ctx.transaction() as (session, actor):
        await check_create_link(session, actor=actor, link_type_ref=link_type, outward_issue_ref=source,
                                inward_issue_ref=target)
        if isinstance(comment, dict) and comment.get("body"):
            issue, project = await access_issue(session, actor, source)
            await check_add_comment(session, actor=actor, issue=issue, project=project, body=comment["body"],
                                    visibility=comment.get("visibility"))
    return Response(status_code=201)


@router.get("/issueLink/{link_id}")
async def get_link(link_id: str, ctx: Ctx) -> dict:
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        link = await access_link(session, actor, _link_id(link_id))
        catalog = await catalog_for(session, actor)
        source, _ = await access_issue(session, actor, link.source_issue_id)
        target, _ = await access_issue(session, actor, link.target_issue_id)
    link_type = next(t for t in catalog.link_types if t.id == link.link_type_id)
    return {"id": str(link.id), "self": f"{links.api}/issueLink/{link.id}", "type": link_type_json(links, link_type),
            "inwardIssue": _issue_ref_json(links, catalog, source),
            "outwardIssue": _issue_ref_json(links, catalog, target)}


@router.delete("/issueLink/{link_id}", status_code=204)
async def delete_link(link_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        link = await access_link(session, actor, _link_id(link_id))
        await check_delete_link(session, actor=actor, link=link)
    return Response(status_code=204)


def _link_id(ref: str) -> int:
    link_id = parse_id(ref)
    if link_id is None:
        raise NotFound("No issue link with that id exists.")
    return link_id


# --- Remote links -------------------------------------------------------------------------------

def remote_link_json(links: Links, link: RemoteLink) -> dict[str, Any]:
    view: dict[str, Any] = {"id": link.id, "self": f"{links.api}/issue/{link.issue_id}/remotelink/{link.id}",
                            "object": link.link_object}
    if link.global_id:
        view["globalId"] = link.global_id
    if link.relationship:
        view["relationship"] = link.relationship
    if link.application:
        view["application"] = link.application
    return view


@router.get("/issue/{issue_ref}/remotelink")
async def get_remote_links(issue_ref: str, ctx: Ctx, globalId: Annotated[str | None, Query(max_length=255)] = None
                           ) -> Any:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        found = await list_remote_links(session, issue=issue, global_id=globalId)
    links = links_for(ctx)
    if globalId is not None:
        if not found:
            raise NotFound("No remote link with that globalId exists on this issue.")
        return remote_link_json(links, found[0])
    return [remote_link_json(links, link) for link in found]


@router.post("/issue/{issue_ref}/remotelink")
async def put_remote_link(issue_ref: str, request: Request, ctx: Ctx) -> JSONResponse:
    """201 for a new link, 200 when the globalId named an existing one (updated)."""
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        link, created = await check_put_remote_link(session, actor=actor, issue=issue, project=project, spec=body)
    self_url = f"{links_for(ctx).api}/issue/{issue.id}/remotelink/{link.id}"
    return JSONResponse({"id": link.id, "self": self_url}, status_code=201 if created else 200)


@router.delete("/issue/{issue_ref}/remotelink", status_code=204)
async def delete_remote_link_by_global_id(issue_ref: str, ctx: Ctx,
                                          globalId: Annotated[str | None, Query(max_length=255)] = None  # noqa: N803
                                          ) -> Response:
    """Jira's `DELETE /issue/{key}/remotelink?globalId=…`: the link of that globalId on the issue."""
    if not globalId:
        raise InvalidInput("The globalId query parameter is required.", field="globalId")
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        found = await list_remote_links(session, issue=issue, global_id=globalId)
        if not found:
            raise NotFound("No remote link with that globalId exists on this issue.")
        for link in found:
            await check_delete_remote_link(session, actor=actor, issue=issue, project=project, link=link)
    return Response(status_code=204)


@router.get("/issue/{issue_ref}/remotelink/{link_id}")
async def get_remote_link(issue_ref: str, link_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        link = await access_remote_link(session, issue=issue, ref=link_id)
    return remote_link_json(links_for(ctx), link)


@router.put("/issue/{issue_ref}/remotelink/{link_id}", status_code=204)
async def update_remote_link(issue_ref: str, link_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        link = await access_remote_link(session, issue=issue, ref=link_id)
        await check_put_remote_link(session, actor=actor, issue=issue, project=project, spec=body, link=link)
    return Response(status_code=204)


@router.delete("/issue/{issue_ref}/remotelink/{link_id}", status_code=204)
async def delete_remote_link(issue_ref: str, link_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        link = await access_remote_link(session, issue=issue, ref=link_id)
        await check_delete_remote_link(session, actor=actor, issue=issue, project=project, link=link)
    return Response(status_code=204)
