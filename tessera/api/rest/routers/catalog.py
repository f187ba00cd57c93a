"""/v2 catalogs: fields (system and custom), issue types, priorities, resolutions, statuses,
link types; and issue links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from tessera.api.rest.render import field_view
from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.people import (
    FieldListOut,
    FieldOut,
    IssueLinkOut,
    IssueTypeListOut,
    LinkTypeListOut,
    NewOptionOut,
    PriorityListOut,
    ResolutionListOut,
    StatusListOut,
)
from tessera.api.rest.schemas import FieldCreate, LinkCreate, OptionCreate, StoredId
from tessera.edge.context import RequestContext, request_context
from tessera.issues.links import access_link, check_create_link, check_delete_link
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.views import iso
from tessera.projects.custom_fields import (
    access_field_definition,
    check_add_option,
    check_create_field,
    list_options,
)
from tessera.workflow.models import CATEGORY_NAMES

router = APIRouter(prefix="/v2", tags=["catalog"])
Ctx = Annotated[RequestContext, Depends(request_context)]

SYSTEM_FIELDS = (
    ("summary", "Summary", "string"), ("description", "Description", "string"),
    ("issue_type", "Issue Type", "issuetype"), ("status", "Status", "status"),
    ("priority", "Priority", "priority"), ("resolution", "Resolution", "resolution"),
    ("assignee_id", "Assignee", "user"), ("reporter_id", "Reporter", "user"), ("creator", "Creator", "user"),
    ("labels", "Labels", "array"), ("components", "Components", "array"),
    ("fix_versions", "Fix Version/s", "array"), ("affected_versions", "Affects Version/s", "array"),
    ("due_date", "Due Date", "date"), ("parent_id", "Parent", "issue"), ("created", "Created", "datetime"),
    ("updated", "Updated", "datetime"), ("resolved", "Resolved", "datetime"),
)


@router.get("/fields", responses=ok(FieldListOut))
async def get_fields(ctx: Ctx) -> dict:
    catalog = await _catalog(ctx)
    system = [{"id": fid, "name": name, "custom": False, "field_type": kind} for fid, name, kind in SYSTEM_FIELDS]
    return {"fields": system + [field_view(f, catalog.options.get(f.id)) for f in catalog.fields]}


@router.post("/fields", status_code=201, responses=ok(FieldOut, 201))
async def create_field(body: FieldCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        definition = await check_create_field(
            session, actor=actor, key=body.key, name=body.name, field_type=body.field_type,
            description=body.description, options=body.options, project_ids=body.project_ids,
            issue_type_ids=body.issue_type_ids)
        options = await list_options(session, actor.organization_id, [definition.id])
        return field_view(definition, options.get(definition.id))


@router.post("/fields/{field_id}/options", status_code=201, responses=ok(NewOptionOut, 201))
async def add_option(field_id: StoredId, body: OptionCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        definition = await access_field_definition(session, actor, field_id)
        option = await check_add_option(session, actor=actor, definition=definition, value=body.value)
        return {"id": option.id, "value": option.value, "field_id": definition.id}


async def _catalog(ctx: RequestContext) -> OrgCatalog:
    async with ctx.transaction() as (session, actor):
        return await catalog_for(session, actor)


@router.get("/issue-types", responses=ok(IssueTypeListOut))
async def issue_types(ctx: Ctx) -> dict:
    catalog = await _catalog(ctx)
    return {"issue_types": [{"id": t.id, "name": t.name, "description": t.description, "subtask": t.subtask,
                             "hierarchy_level": t.hierarchy_level} for t in catalog.issue_types]}


@router.get("/priorities", responses=ok(PriorityListOut))
async def priorities(ctx: Ctx) -> dict:
    catalog = await _catalog(ctx)
    return {"priorities": [{"id": p.id, "name": p.name, "color": p.color, "default": p.is_default}
                           for p in catalog.priorities]}


@router.get("/resolutions", responses=ok(ResolutionListOut))
async def resolutions(ctx: Ctx) -> dict:
    catalog = await _catalog(ctx)
    return {"resolutions": [{"id": r.id, "name": r.name, "description": r.description} for r in catalog.resolutions]}


@router.get("/statuses", responses=ok(StatusListOut))
async def statuses(ctx: Ctx) -> dict:
    catalog = await _catalog(ctx)
    return {"statuses": [{"id": s.id, "name": s.name, "category": s.category,
                          "category_name": CATEGORY_NAMES[s.category]} for s in catalog.statuses]}


@router.get("/link-types", responses=ok(LinkTypeListOut))
async def link_types(ctx: Ctx) -> dict:
    catalog = await _catalog(ctx)
    return {"link_types": [{"id": t.id, "name": t.name, "outward": t.outward, "inward": t.inward}
                           for t in catalog.link_types]}


@router.post("/issue-links", status_code=201, responses=ok(IssueLinkOut, 201))
async def create_link(body: LinkCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        link = await check_create_link(session, actor=actor, link_type_ref=body.type,
                                       outward_issue_ref=body.outward_issue, inward_issue_ref=body.inward_issue)
        return {"id": link.id, "type_id": link.link_type_id, "outward_issue_id": link.source_issue_id,
                "inward_issue_id": link.target_issue_id, "created": iso(link.created_at)}


@router.get("/issue-links/{link_id}", responses=ok(IssueLinkOut))
async def get_link(link_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        link = await access_link(session, actor, link_id)
        return {"id": link.id, "type_id": link.link_type_id, "outward_issue_id": link.source_issue_id,
                "inward_issue_id": link.target_issue_id, "created": iso(link.created_at)}


@router.delete("/issue-links/{link_id}", status_code=204)
async def delete_link(link_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        link = await access_link(session, actor, link_id)
        await check_delete_link(session, actor=actor, link=link)
    return Response(status_code=204)
