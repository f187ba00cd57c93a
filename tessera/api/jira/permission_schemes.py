"""Jira's permission scheme API: /rest/api/2/permissionscheme (list, get with
`expand=permissions`, create, update, delete) and its grants (`/permissionscheme/{id}/permission`),
and a project's scheme (`/project/{key}/permissionscheme`, GET and PUT). Holders in Jira's words:
an `applicationRole` without a parameter is anyone signed in, with one an organization role;
`projectRole` is named by the role ids of /project/{key}/role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from tessera.api.jira.bodies import json_object
from tessera.api.jira.dialect import links_for
from tessera.api.jira.projects import ROLE_IDS
from tessera.edge.context import RequestContext, request_context
from tessera.jira_format.fields import CUSTOM_FIELD_OFFSET
from tessera.jira_format.shapes import Links
from tessera.projects import permission_schemes as schemes
from tessera.projects.service import access_project
from tessera.tenancy.models import PermissionGrant

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Expand = Annotated[str | None, Query(max_length=200)]

_TO_JIRA = {"anyone": "applicationRole", "org_role": "applicationRole", "project_role": "projectRole",
            "group": "group", "user": "user", "reporter": "reporter", "assignee": "assignee",
            "project_lead": "projectLead", "user_field": "userCustomField"}
_FROM_JIRA = {"anyone": "anyone", "projectrole": "project_role", "group": "group", "user": "user",
              "reporter": "reporter", "assignee": "assignee", "projectlead": "project_lead",
              "usercustomfield": "user_field"}


def _holder(grant: PermissionGrant, names: schemes.HolderNames) -> dict[str, Any]:
    kind = grant.holder_type
    holder: dict[str, Any] = {"type": _TO_JIRA.get(kind, kind)}
    parameter: str | None = None
    if kind == "org_role":
        parameter = grant.parameter
    elif kind == "project_role" and grant.parameter in ROLE_IDS:
        parameter = str(ROLE_IDS[grant.parameter])
    elif kind == "group" and grant.group_id is not None:
        parameter = names.groups.get(grant.group_id, "")
        holder["value"] = str(grant.group_id)
    elif kind == "user" and grant.user_id is not None:
        parameter = str(grant.user_id)
    elif kind == "user_field" and grant.parameter:
        parameter = f"customfield_{CUSTOM_FIELD_OFFSET + int(grant.parameter)}"
    if parameter is not None:
        holder["parameter"] = parameter
        holder.setdefault("value", parameter)
    return holder


def _grant(links: Links, grant: PermissionGrant, names: schemes.HolderNames) -> dict[str, Any]:
    return {"id": grant.id, "self": f"{links.api}/permissionscheme/{grant.scheme_id}/permission/{grant.id}",
            "holder": _holder(grant, names), "permission": grant.permission}


def _scheme(links: Links, details: schemes.SchemeDetails, names: schemes.HolderNames,
            expand: str | None) -> dict[str, Any]:
    scheme = details.scheme
    view: dict[str, Any] = {"expand": "permissions,user,group,projectRole,field,all", "id": scheme.id,
                            "self": f"{links.api}/permissionscheme/{scheme.id}", "name": scheme.name,
                            "description": scheme.description}
    wanted = {part.strip() for part in (expand or "").split(",")}
    if wanted - {""}:  # any expansion includes the grants, as in Jira
        view["permissions"] = [_grant(links, g, names) for g in details.grants]
    return view


def _spec(body: dict[str, Any]) -> dict[str, Any]:
    """A Jira grant {"holder": {"type", "parameter", "value"}, "permission"} as the service's spec."""
    holder = body.get("holder")
    if not isinstance(holder, dict):
        return {"permission": body.get("permission"), "holder": holder}
    jira_type = str(holder.get("type") or "")
    parameter = holder.get("value") if jira_type == "group" and holder.get("value") else holder.get("parameter")
    if jira_type.lower() == "applicationrole":
        kind = "org_role" if parameter not in (None, "") else "anyone"
    else:
        kind = _FROM_JIRA.get(jira_type.lower(), jira_type)
    if kind == "project_role":
        parameter = next((name for name, number in ROLE_IDS.items() if str(number) == str(parameter)), parameter)
    if kind == "user_field" and isinstance(parameter, str) and parameter.startswith("customfield_"):
        number = parameter.removeprefix("customfield_")
        parameter = str(int(number) - CUSTOM_FIELD_OFFSET) if number.isdigit() else parameter
    return {"permission": body.get("permission"), "holder": {"type": kind, "parameter": parameter}}


async def _view(ctx: RequestContext, session, actor, details: schemes.SchemeDetails,  # type: ignore[no-untyped-def]
                expand: str | None) -> dict[str, Any]:
    return _scheme(links_for(ctx), details, await schemes.holder_names(session, actor, details.grants), expand)


@router.get("/permissionscheme")
async def list_permission_schemes(ctx: Ctx, expand: Expand = None) -> dict:
    async with ctx.transaction() as (session, actor):
        found = await schemes.list_schemes(session, actor)
        names = await schemes.holder_names(session, actor, [g for d in found for g in d.grants])
    return {"permissionSchemes": [_scheme(links_for(ctx), d, names, expand) for d in found]}


@router.post("/permissionscheme", status_code=201)
async def create_permission_scheme(request: Request, ctx: Ctx, expand: Expand = None) -> dict:
    body = await json_object(request)
    permissions = body.get("permissions")
    async with ctx.transaction() as (session, actor):
        details = await schemes.check_create_scheme(
            session, actor=actor, name=body.get("name"), description=body.get("description") or "",
            grants=[_spec(p) if isinstance(p, dict) else p for p in permissions]
            if isinstance(permissions, list) else permissions)
        return await _view(ctx, session, actor, details, expand or "permissions")


@router.get("/permissionscheme/{scheme_id}")
async def get_permission_scheme(scheme_id: str, ctx: Ctx, expand: Expand = None) -> dict:
    async with ctx.transaction() as (session, actor):
        return await _view(ctx, session, actor, await schemes.get_scheme(session, actor, scheme_id), expand)


@router.put("/permissionscheme/{scheme_id}")
async def update_permission_scheme(scheme_id: str, request: Request, ctx: Ctx, expand: Expand = None) -> dict:
    """As Jira: permissions given replace all the scheme's grants; left out, they stay."""
    body = await json_object(request)
    changes = {key: body[key] for key in ("name", "description") if key in body}
    if isinstance(body.get("permissions"), list):
        changes["grants"] = [_spec(p) if isinstance(p, dict) else p for p in body["permissions"]]
    elif "permissions" in body:
        changes["grants"] = body["permissions"]
    async with ctx.transaction() as (session, actor):
        details = await schemes.check_update_scheme(session, actor=actor, ref=scheme_id, changes=changes)
        return await _view(ctx, session, actor, details, expand or "permissions")


@router.delete("/permissionscheme/{scheme_id}", status_code=204)
async def delete_permission_scheme(scheme_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await schemes.check_delete_scheme(session, actor=actor, ref=scheme_id)
    return Response(status_code=204)


@router.get("/permissionscheme/{scheme_id}/permission")
async def list_permission_grants(scheme_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        details = await schemes.get_scheme(session, actor, scheme_id)
        names = await schemes.holder_names(session, actor, details.grants)
    return {"permissions": [_grant(links_for(ctx), g, names) for g in details.grants]}


@router.post("/permissionscheme/{scheme_id}/permission", status_code=201)
async def add_permission_grant(scheme_id: str, request: Request, ctx: Ctx) -> dict:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        grant = await schemes.check_add_grant(session, actor=actor, ref=scheme_id, spec=_spec(body))
        names = await schemes.holder_names(session, actor, [grant])
    return _grant(links_for(ctx), grant, names)


@router.get("/permissionscheme/{scheme_id}/permission/{grant_id}")
async def get_permission_grant(scheme_id: str, grant_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        grant = await schemes.get_grant(session, actor, scheme_id, grant_id)
        names = await schemes.holder_names(session, actor, [grant])
    return _grant(links_for(ctx), grant, names)


@router.delete("/permissionscheme/{scheme_id}/permission/{grant_id}", status_code=204)
async def remove_permission_grant(scheme_id: str, grant_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await schemes.check_remove_grant(session, actor=actor, ref=scheme_id, grant_ref=grant_id)
    return Response(status_code=204)


@router.get("/project/{project_ref}/permissionscheme")
async def project_permission_scheme(project_ref: str, ctx: Ctx, expand: Expand = None) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_ref)
        return await _view(ctx, session, actor, await schemes.scheme_of_project(session, actor, project), expand)


@router.put("/project/{project_ref}/permissionscheme")
async def assign_project_permission_scheme(project_ref: str, request: Request, ctx: Ctx,
                                           expand: Expand = None) -> dict:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_ref)
        details = await schemes.check_assign_scheme(session, actor=actor, project=project, ref=body.get("id"))
        return await _view(ctx, session, actor, details, expand)
