"""/v2/projects with their roles, components and versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from tessera.api.rest.errors import VERSION_DOC
from tessera.api.rest.preconditions import parse_if_match
from tessera.api.rest.render import part_view, project_view
from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.people import (
    ComponentListOut,
    ComponentOut,
    ProjectListOut,
    ProjectOut,
    ProjectRolesOut,
    RoleMembersOut,
    VersionListOut,
    VersionOut,
)
from tessera.api.rest.schemas import (
    PartCreate,
    PartUpdate,
    ProjectCreate,
    ProjectUpdate,
    RoleMembers,
    StoredId,
)
from tessera.edge.context import RequestContext, request_context
from tessera.projects.components import (
    access_part,
    check_create_part,
    check_delete_part,
    check_update_part,
    list_parts,
)
from tessera.projects.models import Component, Version
from tessera.projects.service import (
    access_project,
    check_create_project,
    check_set_role_members,
    check_update_project,
    list_projects,
    list_role_members,
)
from tessera.tenancy.permissions import Permission

router = APIRouter(prefix="/v2", tags=["projects"])
Ctx = Annotated[RequestContext, Depends(request_context)]
PARTS = {"components": Component, "versions": Version}


@router.post("/projects", status_code=201, responses=ok(ProjectOut, 201))
async def create_project(body: ProjectCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await check_create_project(
            session, actor=actor, key=body.key, name=body.name, description=body.description,
            project_type=body.project_type, lead_id=body.lead_id, access=body.access)
        return project_view(project)


@router.get("/projects", responses=ok(ProjectListOut))
async def get_projects(ctx: Ctx, include_archived: bool = False) -> dict:
    async with ctx.transaction() as (session, actor):
        projects = await list_projects(session, actor, include_archived=include_archived)
        return {"total": len(projects), "projects": [project_view(p) for p in projects]}


@router.get("/projects/{project_id}", responses=ok(ProjectOut))
async def get_project(project_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return project_view(await access_project(session, actor, project_id))


@router.put("/projects/{project_id}", responses={**ok(ProjectOut), **VERSION_DOC})
async def update_project(project_id: str, body: ProjectUpdate, ctx: Ctx,
                         if_match: Annotated[str | None, Header(max_length=100)] = None) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        expected = parse_if_match(if_match) if if_match is not None else body.version
        changes = body.model_dump(exclude_unset=True, exclude={"version"})
        project = await check_update_project(session, actor=actor, project=project, changes=changes,
                                             expected_version=expected, via_if_match=if_match is not None)
        return project_view(project)


@router.get("/projects/{project_id}/roles", responses=ok(ProjectRolesOut))
async def get_roles(project_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        return {"project_id": project.id, "roles": await list_role_members(session, actor=actor, project=project)}


@router.put("/projects/{project_id}/roles/{role}", responses=ok(RoleMembersOut))
async def set_role(project_id: str, role: str, body: RoleMembers, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        members = await check_set_role_members(session, actor=actor, project=project, role=role,
                                               user_ids=list(body.user_ids))
        return {"project_id": project.id, "role": role, "user_ids": members}


PART_DOCS = {"components": (ComponentOut, ComponentListOut), "versions": (VersionOut, VersionListOut)}


def _part_routes(kind: str) -> None:
    model = PARTS[kind]
    one, many = PART_DOCS[kind]

    @router.get(f"/projects/{{project_id}}/{kind}", name=f"list_{kind}", responses=ok(many))
    async def list_(project_id: str, ctx: Ctx) -> dict:
        async with ctx.transaction() as (session, actor):
            project = await access_project(session, actor, project_id)
            parts = await list_parts(session, model, project)
            return {"total": len(parts), kind: [part_view(p) for p in parts]}

    @router.post(f"/projects/{{project_id}}/{kind}", status_code=201, name=f"create_{kind[:-1]}",
                 responses=ok(one, 201))
    async def create(project_id: str, body: PartCreate, ctx: Ctx) -> dict:
        async with ctx.transaction() as (session, actor):
            project = await access_project(session, actor, project_id)
            part = await check_create_part(session, actor=actor, model=model, project=project,
                                           values=body.model_dump(exclude_unset=True))
            return part_view(part)

    @router.get(f"/{kind}/{{part_id}}", name=f"get_{kind[:-1]}", responses=ok(one))
    async def get(part_id: StoredId, ctx: Ctx) -> dict:
        async with ctx.transaction() as (session, actor):
            part, _ = await access_part(session, actor, model, part_id)
            return part_view(part)

    @router.put(f"/{kind}/{{part_id}}", name=f"update_{kind[:-1]}", responses=ok(one))
    async def update(part_id: StoredId, body: PartUpdate, ctx: Ctx) -> dict:
        async with ctx.transaction() as (session, actor):
            part, project = await access_part(session, actor, model, part_id)
            part = await check_update_part(session, actor=actor, part=part, project=project,
                                           values=body.model_dump(exclude_unset=True))
            return part_view(part)

    @router.delete(f"/{kind}/{{part_id}}", status_code=204, name=f"delete_{kind[:-1]}")
    async def delete(part_id: StoredId, ctx: Ctx) -> Response:
        async with ctx.transaction() as (session, actor):
            part, project = await access_part(session, actor, model, part_id, Permission.BROWSE_PROJECTS)
            await check_delete_part(session, actor=actor, part=part, project=project)
        return Response(status_code=204)


for _kind in PARTS:
    _part_routes(_kind)
