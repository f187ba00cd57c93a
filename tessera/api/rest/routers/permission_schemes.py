"""/v2/permission-schemes (Jira-style permission schemes: list, create, get, update, delete when
unused, grants added and removed, assigned to projects) and /v2/global-permissions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.permissions import (
    GlobalGrantListOut,
    GrantOut,
    PermissionSchemeListOut,
    PermissionSchemeOut,
)
from tessera.api.rest.schemas import (
    GlobalGrantIn,
    PermissionGrantIn,
    PermissionSchemeAssign,
    PermissionSchemeCreate,
    PermissionSchemeUpdate,
)
from tessera.edge.context import RequestContext, request_context
from tessera.projects import permission_schemes as schemes
from tessera.projects.service import access_project
from tessera.tenancy.models import GlobalPermissionGrant, PermissionGrant

router = APIRouter(prefix="/v2", tags=["permissions"])
Ctx = Annotated[RequestContext, Depends(request_context)]


def grant_view(grant: PermissionGrant | GlobalPermissionGrant, names: schemes.HolderNames) -> dict[str, Any]:
    parameter: str | int | None = grant.parameter
    name = None
    if grant.group_id is not None:
        parameter, name = grant.group_id, names.groups.get(grant.group_id)
    user_id = getattr(grant, "user_id", None)
    if user_id is not None:
        parameter, name = user_id, names.users.get(user_id)
    return {"id": grant.id, "permission": grant.permission,
            "holder": {"type": grant.holder_type, "parameter": parameter, "name": name}}


def scheme_view(details: schemes.SchemeDetails, names: schemes.HolderNames) -> dict[str, Any]:
    scheme = details.scheme
    return {"id": scheme.id, "name": scheme.name, "description": scheme.description,
            "is_default": scheme.is_default, "project_ids": details.project_ids,
            "grants": [grant_view(g, names) for g in details.grants]}


async def _view(session, actor, details: schemes.SchemeDetails) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return scheme_view(details, await schemes.holder_names(session, actor, details.grants))


@router.get("/permission-schemes", responses=ok(PermissionSchemeListOut))
async def list_permission_schemes(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        found = await schemes.list_schemes(session, actor)
        names = await schemes.holder_names(session, actor, [g for d in found for g in d.grants])
        return {"permission_schemes": [scheme_view(d, names) for d in found]}


@router.post("/permission-schemes", status_code=201, responses=ok(PermissionSchemeOut, 201))
async def create_permission_scheme(body: PermissionSchemeCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        details = await schemes.check_create_scheme(
            session, actor=actor, name=body.name, description=body.description,
            grants=[g.model_dump() for g in body.grants])
        return await _view(session, actor, details)


@router.get("/permission-schemes/{scheme_id}", responses=ok(PermissionSchemeOut))
async def get_permission_scheme(scheme_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return await _view(session, actor, await schemes.get_scheme(session, actor, scheme_id))


@router.put("/permission-schemes/{scheme_id}", responses=ok(PermissionSchemeOut))
async def update_permission_scheme(scheme_id: str, body: PermissionSchemeUpdate, ctx: Ctx) -> dict:
    changes = body.model_dump(exclude_unset=True)
    async with ctx.transaction() as (session, actor):
        return await _view(session, actor, await schemes.check_update_scheme(
            session, actor=actor, ref=scheme_id, changes=changes))


@router.delete("/permission-schemes/{scheme_id}", status_code=204)
async def delete_permission_scheme(scheme_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await schemes.check_delete_scheme(session, actor=actor, ref=scheme_id)
    return Response(status_code=204)


@router.post("/permission-schemes/{scheme_id}/grants", status_code=201, responses=ok(GrantOut, 201))
async def add_permission_grant(scheme_id: str, body: PermissionGrantIn, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        grant = await schemes.check_add_grant(session, actor=actor, ref=scheme_id, spec=body.model_dump())
        return grant_view(grant, await schemes.holder_names(session, actor, [grant]))


@router.delete("/permission-schemes/{scheme_id}/grants/{grant_id}", status_code=204)
async def remove_permission_grant(scheme_id: str, grant_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await schemes.check_remove_grant(session, actor=actor, ref=scheme_id, grant_ref=grant_id)
    return Response(status_code=204)


@router.get("/projects/{project_id}/permission-scheme", responses=ok(PermissionSchemeOut))
async def get_project_permission_scheme(project_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        return await _view(session, actor, await schemes.scheme_of_project(session, actor, project))


@router.put("/projects/{project_id}/permission-scheme", responses=ok(PermissionSchemeOut))
async def assign_permission_scheme(project_id: str, body: PermissionSchemeAssign, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        return await _view(session, actor, await schemes.check_assign_scheme(
            session, actor=actor, project=project, ref=body.scheme_id))


@router.get("/global-permissions", responses=ok(GlobalGrantListOut))
async def list_global_permissions(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        grants = await schemes.list_global_grants(session, actor)
        names = await schemes.holder_names(session, actor, grants)
        return {"grants": [grant_view(g, names) for g in grants]}


@router.post("/global-permissions", status_code=201, responses=ok(GrantOut, 201))
async def add_global_permission(body: GlobalGrantIn, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        grant = await schemes.check_add_global_grant(session, actor=actor, spec=body.model_dump())
        return grant_view(grant, await schemes.holder_names(session, actor, [grant]))


@router.delete("/global-permissions/{grant_id}", status_code=204)
async def remove_global_permission(grant_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await schemes.check_remove_global_grant(session, actor=actor, grant_ref=grant_id)
    return Response(status_code=204)
