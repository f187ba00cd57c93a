"""/v2/issue-security-schemes (Jira-style issue security: schemes of levels, each visible to its
members; create, read, update, delete when unused; levels and members added and removed;
assigned to projects) and /v2/projects/{id}/security-levels (the levels the caller may set)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.permissions import (
    IssueSecuritySchemeListOut,
    IssueSecuritySchemeOut,
    ProjectIssueSecurityOut,
    SecurityLevelListOut,
    SecurityLevelMemberOut,
    SecurityLevelOut,
)
from tessera.api.rest.schemas import (
    IssueSecuritySchemeAssign,
    IssueSecuritySchemeCreate,
    IssueSecuritySchemeUpdate,
    PermissionHolderIn,
    SecurityLevelIn,
    SecurityLevelUpdate,
)
from tessera.edge.context import RequestContext, request_context
from tessera.issues.security import settable_levels
from tessera.projects import issue_security as security
from tessera.projects.permission_schemes import HolderNames, holder_names
from tessera.projects.service import access_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import IssueSecurityLevel, IssueSecurityLevelMember

router = APIRouter(prefix="/v2", tags=["permissions"])
Ctx = Annotated[RequestContext, Depends(request_context)]


def member_view(member: IssueSecurityLevelMember, names: HolderNames) -> dict[str, Any]:
    parameter: str | int | None = member.parameter
    name = None
    if member.group_id is not None:
        parameter, name = member.group_id, names.groups.get(member.group_id)
    if member.user_id is not None:
        parameter, name = member.user_id, names.users.get(member.user_id)
    return {"id": member.id, "holder": {"type": member.holder_type, "parameter": parameter, "name": name}}


def level_view(level: IssueSecurityLevel, members: list[IssueSecurityLevelMember], names: HolderNames) -> dict:
    return {"id": level.id, "name": level.name, "description": level.description,
            "members": [member_view(m, names) for m in members]}


async def scheme_views(session: AsyncSession, actor: Actor,
                       found: list[security.SecuritySchemeDetails]) -> list[dict[str, Any]]:
    names = await holder_names(session, actor, [m for d in found for level in d.levels for m in level.members])
    return [{"id": d.scheme.id, "name": d.scheme.name, "description": d.scheme.description,
             "default_level_id": d.scheme.default_level_id, "project_ids": d.project_ids,
             "levels": [level_view(level.level, level.members, names) for level in d.levels]} for d in found]


async def _view(session: AsyncSession, actor: Actor, details: security.SecuritySchemeDetails) -> dict[str, Any]:
    return (await scheme_views(session, actor, [details]))[0]


@router.get("/issue-security-schemes", responses=ok(IssueSecuritySchemeListOut))
async def list_issue_security_schemes(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return {"issue_security_schemes": await scheme_views(session, actor, await security.list_schemes(
            session, actor))}


@router.post("/issue-security-schemes", status_code=201, responses=ok(IssueSecuritySchemeOut, 201))
async def create_issue_security_scheme(body: IssueSecuritySchemeCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        details = await security.check_create_scheme(
            session, actor=actor, name=body.name, description=body.description,
            levels=[level.model_dump() for level in body.levels], default_level=body.default_level)
        return await _view(session, actor, details)


@router.get("/issue-security-schemes/{scheme_id}", responses=ok(IssueSecuritySchemeOut))
async def get_issue_security_scheme(scheme_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return await _view(session, actor, await security.get_scheme(session, actor, scheme_id))


@router.put("/issue-security-schemes/{scheme_id}", responses=ok(IssueSecuritySchemeOut))
async def update_issue_security_scheme(scheme_id: str, body: IssueSecuritySchemeUpdate, ctx: Ctx) -> dict:
    changes = body.model_dump(exclude_unset=True)
    async with ctx.transaction() as (session, actor):
        return await _view(session, actor, await security.check_update_scheme(
            session, actor=actor, ref=scheme_id, changes=changes))


@router.delete("/issue-security-schemes/{scheme_id}", status_code=204)
async def delete_issue_security_scheme(scheme_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await security.check_delete_scheme(session, actor=actor, ref=scheme_id)
    return Response(status_code=204)


@router.post("/issue-security-schemes/{scheme_id}/levels", status_code=201, responses=ok(SecurityLevelOut, 201))
async def add_security_level(scheme_id: str, body: SecurityLevelIn, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        found = await security.check_add_level(session, actor=actor, ref=scheme_id, spec=body.model_dump())
        return level_view(found.level, found.members, await holder_names(session, actor, found.members))


@router.put("/issue-security-schemes/{scheme_id}/levels/{level_id}", responses=ok(IssueSecuritySchemeOut))
async def update_security_level(scheme_id: str, level_id: str, body: SecurityLevelUpdate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        await security.check_update_level(session, actor=actor, ref=scheme_id, level_ref=level_id,
                                          changes=body.model_dump(exclude_unset=True))
        return await _view(session, actor, await security.get_scheme(session, actor, scheme_id))


@router.delete("/issue-security-schemes/{scheme_id}/levels/{level_id}", status_code=204)
async def delete_security_level(scheme_id: str, level_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await security.check_delete_level(session, actor=actor, ref=scheme_id, level_ref=level_id)
    return Response(status_code=204)


@router.post("/issue-security-schemes/{scheme_id}/levels/{level_id}/members", status_code=201,
             responses=ok(SecurityLevelMemberOut, 201))
async def add_security_level_member(scheme_id: str, level_id: str, body: PermissionHolderIn, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        member = await security.check_add_member(session, actor=actor, ref=scheme_id, level_ref=level_id,
                                                 holder=body.model_dump())
        return member_view(member, await holder_names(session, actor, [member]))


@router.delete("/issue-security-schemes/{scheme_id}/levels/{level_id}/members/{member_id}", status_code=204)
async def remove_security_level_member(scheme_id: str, level_id: str, member_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await security.check_remove_member(session, actor=actor, ref=scheme_id, level_ref=level_id,
                                           member_ref=member_id)
    return Response(status_code=204)


@router.get("/projects/{project_id}/issue-security-scheme", responses=ok(ProjectIssueSecurityOut))
async def get_project_issue_security_scheme(project_id: str, ctx: Ctx) -> dict:
    """The project's issue security scheme, null when it has none."""
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        if project.issue_security_scheme_id is None:
            return {"issue_security_scheme": None}
        return {"issue_security_scheme": await _view(session, actor, await security.get_scheme(
            session, actor, project.issue_security_scheme_id))}


@router.put("/projects/{project_id}/issue-security-scheme", responses=ok(ProjectIssueSecurityOut))
async def assign_issue_security_scheme(project_id: str, body: IssueSecuritySchemeAssign, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        details = await security.check_assign_scheme(session, actor=actor, project=project, ref=body.scheme_id)
        return {"issue_security_scheme": None if details is None else await _view(session, actor, details)}


@router.get("/projects/{project_id}/security-levels", responses=ok(SecurityLevelListOut))
async def project_security_levels(project_id: str, ctx: Ctx) -> dict:
    """The levels of the project's scheme the caller may set on its issues."""
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        levels = await settable_levels(session, actor, project)
        return {"levels": [{"id": level.id, "name": level.name, "description": level.description, "members": []}
                           for level in levels]}
