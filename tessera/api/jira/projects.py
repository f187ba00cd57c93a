"""/rest/api/2/project (list, get, create), its statuses, components, versions and roles, and
/component and /version (create, get, update, delete)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.bodies import as_bool, as_text, json_object, ref_of
from tessera.api.jira.dialect import is_cloud, links_for
from tessera.api.jira.people import user_id_for
from tessera.db.refs import parse_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.issues.attachments.service import discard_objects
from tessera.issues.creation import workflow_for_new_issue
from tessera.issues.project_deletion import check_delete_project
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.version_counts import VersionCounts, version_counts
from tessera.jira_format.shapes import (
    Links,
    component_json,
    issuetype_json,
    page_bean,
    project_json,
    split_values,
    status_json,
    user_json,
    version_json,
)
from tessera.projects.components import (
    access_part,
    check_create_part,
    check_delete_part,
    check_update_part,
    list_parts,
)
from tessera.projects.models import Component, Project, Version
from tessera.projects.permission_schemes import check_assign_scheme
from tessera.projects.service import (
    access_project,
    check_create_project,
    check_update_project,
    list_projects,
    list_role_members,
)
from tessera.projects.versions import check_move_version
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import PROJECT_ROLES
from tessera.tenancy.service import users_by_id

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
ROLE_IDS = {"users": 10000, "developers": 10001, "administrators": 10002}
PROJECT_ORDERS: dict[str, Any] = {"key": lambda p: p.key, "name": lambda p: p.name.casefold()}
PROJECT_TYPES = {"software": "software", "business": "business", "service_desk": "service_desk",
                 "service desk": "service_desk"}


def project_view(links: Links, project: Project, catalog: OrgCatalog, lead: Any = None, *,
                 full: bool = False) -> dict[str, Any]:
    view = {"expand": "description,lead,url,projectKeys,issueTypes",
            **project_json(links, project.id, project.key, project.name, project.project_type),
            "archived": project.archived}
    if full:
        view.update(description=project.description, lead=user_json(links, lead), assigneeType="PROJECT_LEAD",
                    issueTypes=[issuetype_json(links, t.id, t.name, t.subtask, t.description)
                                for t in catalog.issue_types],
                    roles={role.title(): f"{links.api}/project/{project.id}/role/{ROLE_IDS[role]}"
                           for role in PROJECT_ROLES}, projectKeys=[project.key])
    return view


def part_json(links: Links, part: Component | Version, project: Project, lead: Any = None) -> dict[str, Any]:
    if isinstance(part, Component):
        return component_json(links, part.id, part.name, description=part.description,
                              lead=user_json(links, lead) if lead else None, assigneeType="PROJECT_DEFAULT",
                              project=project.key, projectId=project.id, isAssigneeTypeValid=False)
    view = version_json(links, part.id, part.name, description=part.description, archived=part.archived,
                        released=part.released, projectId=project.id)
    if part.start_date:
        view["startDate"] = part.start_date.isoformat()
    if part.release_date:
        view["releaseDate"] = part.release_date.isoformat()
        view["overdue"] = not part.released and part.release_date < date.today()
    return view


@router.get("/project")
async def projects(ctx: Ctx) -> list[dict]:
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        catalog = await catalog_for(session, actor)
        found = await list_projects(session, actor)
    return [project_view(links, p, catalog) for p in found]


@router.post("/project", status_code=201)
async def create_project(request: Request, ctx: Ctx) -> JSONResponse:
    """Jira's body: key, name, projectTypeKey, lead, description, permissionScheme (an id; other
    templates and schemes are accepted and ignored: projects use the organization's defaults)."""
    body = await json_object(request)
    kind = str(body.get("projectTypeKey") or "software").strip().lower()
    if kind not in PROJECT_TYPES:
        raise InvalidInput("projectTypeKey is software, business or service_desk.", field="projectTypeKey")
    for name in ("key", "name", "description"):
        as_text(body, name)
    async with ctx.transaction() as (session, actor):
        lead = await user_id_for(session, actor, body.get("lead") or body.get("leadAccountId"), field="lead")
        project = await check_create_project(session, actor=actor, key=body.get("key") or "",
                                             name=body.get("name") or body.get("key") or "",
                                             description=body.get("description") or "",
                                             project_type=PROJECT_TYPES[kind], lead_id=lead)
        scheme = body.get("permissionScheme")
        if scheme not in (None, "") and scheme != project.permission_scheme_id:
            try:
                await check_assign_scheme(session, actor=actor, project=project, ref=scheme)
            except InvalidInput as error:
                raise InvalidInput(error.message, field="permissionScheme") from None
    links = links_for(ctx)
    return JSONResponse({"self": f"{links.api}/project/{project.id}", "id": project.id, "key": project.key},
                        status_code=201)


@router.get("/project/search")
async def search_projects(ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                          maxResults: Annotated[int, Query(ge=1, le=1000)] = 50,
                          orderBy: Annotated[str | None, Query(max_length=30)] = None,
                          id: Annotated[list[str] | None, Query(max_length=50)] = None,  # noqa: A002 (Jira's name)
                          keys: Annotated[list[str] | None, Query(max_length=50)] = None,
                          query: Annotated[str | None, Query(max_length=200)] = None,
                          typeKey: Annotated[str | None, Query(max_length=100)] = None,
                          status: Annotated[list[str] | None, Query(max_length=3)] = None,
                          expand: Annotated[str | None, Query(max_length=200)] = None) -> dict:
    """Jira Cloud's paged project list (a PageBean, at most 100 a page as in Jira): `query` is a
    part of the key or name, `keys` and `id` pick projects, `typeKey` their types, `status`
    live or archived, `orderBy` key or name (with + or -). `expand=description,lead,issueTypes`
    gives each project in full."""
    limit = min(maxResults, 100)
    order = (orderBy or "key").strip()
    if order.lstrip("+-") not in PROJECT_ORDERS:
        raise InvalidInput(f"orderBy is one of {', '.join(PROJECT_ORDERS)} (with + or -).", field="orderBy")
    states = {state.strip().lower() for state in split_values(status)} or {"live"}
    if states - {"live", "archived", "deleted"}:
        raise InvalidInput("status is live, archived or deleted.", field="status")
    types = {kind.strip().lower() for kind in split_values(typeKey)}
    wanted_keys = {key.upper() for key in split_values(keys)}
    wanted_ids = set(split_values(id))
    text = (query or "").strip().casefold()
    full = bool({"description", "lead", "issuetypes"} & {part.lower() for part in split_values(expand)})
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        catalog = await catalog_for(session, actor)
        found = [p for p in await list_projects(session, actor, include_archived="archived" in states)
                 if ("archived" if p.archived else "live") in states and (not types or p.project_type in types)
                 and (not wanted_keys or p.key.upper() in wanted_keys) and (not wanted_ids or str(p.id) in wanted_ids)
                 and (text in p.key.casefold() or text in p.name.casefold())]
        found.sort(key=lambda p: PROJECT_ORDERS[order.lstrip("+-")](p), reverse=order.startswith("-"))
        shown = found[startAt:startAt + limit]
        leads = await users_by_id(session, actor.organization_id, {p.lead_id for p in shown} - {None}) if full else {}
    values = [project_view(links, p, catalog, leads.get(p.lead_id or 0), full=full) for p in shown]
    return page_bean(values, start_at=startAt, max_results=limit, total=len(found), url=str(ctx.request.url))


async def _project(session: AsyncSession, actor: Actor, ref: str) -> Project:
    try:
        return await access_project(session, actor, ref)
    except NotFound:
        raise NotFound(f"No project could be found with key '{ref[:40]}'.") from None


@router.get("/project/{project_ref}")
async def get_project(project_ref: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return await _full_view(session, actor, links_for(ctx), await _project(session, actor, project_ref))


async def _full_view(session: AsyncSession, actor: Actor, links: Links, project: Project) -> dict[str, Any]:
    catalog = await catalog_for(session, actor)
    leads = await users_by_id(session, actor.organization_id, {project.lead_id} - {None})
    view = project_view(links, project, catalog, leads.get(project.lead_id or 0), full=True)
    view["components"] = [part_json(links, c, project) for c in await list_parts(session, Component, project)]
    view["versions"] = [part_json(links, v, project) for v in await list_parts(session, Version, project)]
    return view


@router.put("/project/{project_ref}", status_code=201)
async def update_project(project_ref: str, request: Request, ctx: Ctx) -> JSONResponse:
    """Jira's ProjectInputBean: a null or absent field is left unchanged; `key` may only repeat
    the current key (issue keys derive from it). Jira answers 201 with the project."""
    body = await json_object(request)
    changes: dict[str, Any] = {}
    for jira_name, ours in (("key", "key"), ("name", "name"), ("description", "description")):
        text = as_text(body, jira_name)
        if text is not None:
            changes[ours] = text
    kind = as_text(body, "projectTypeKey")
    if kind is not None:
        if kind.strip().lower() not in PROJECT_TYPES:
            raise InvalidInput("projectTypeKey is software, business or service_desk.", field="projectTypeKey")
        changes["project_type"] = PROJECT_TYPES[kind.strip().lower()]
    lead_ref = body.get("lead") or body.get("leadAccountId")
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        project = await _project(session, actor, project_ref)
        if lead_ref is not None:
            changes["lead_id"] = await user_id_for(session, actor, lead_ref, field="lead")
        project = await check_update_project(session, actor=actor, project=project, changes=changes,
                                             expected_version=None)
        view = await _full_view(session, actor, links, project)
    return JSONResponse(view, status_code=201)


@router.delete("/project/{project_ref}", status_code=204)
async def delete_project(project_ref: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        project = await _project(session, actor, project_ref)
        keys = await check_delete_project(session, actor=actor, project=project)
    await discard_objects(ctx.request.app.state.object_store, keys)
    return Response(status_code=204)


VERSION_ORDERS: dict[str, Any] = {
    "sequence": None, "name": lambda v: v.name.casefold(), "description": lambda v: v.description.casefold(),
    "releasedate": lambda v: (v.release_date is None, v.release_date or date.min),
    "startdate": lambda v: (v.start_date is None, v.start_date or date.min)}
VERSION_STATES = {"released": lambda v: v.released and not v.archived,
                  "unreleased": lambda v: not v.released and not v.archived, "archived": lambda v: v.archived}


@router.get("/project/{project_ref}/version")
async def project_versions_page(project_ref: str, ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                                maxResults: Annotated[int, Query(ge=1, le=1000)] = 50,
                                orderBy: Annotated[str | None, Query(max_length=30)] = None,
                                query: Annotated[str | None, Query(max_length=255)] = None,
                                status: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    """Jira's paged version list: `orderBy` sequence, name, description, releaseDate or startDate
    (with + or -), `query` a part of the name or description, `status` released, unreleased
    and/or archived."""
    order = (orderBy or "sequence").strip()
    if order.lstrip("+-").lower() not in VERSION_ORDERS:
        raise InvalidInput(f"orderBy is one of {', '.join(VERSION_ORDERS)} (with + or -).", field="orderBy")
    states = {state.strip().lower() for state in split_values(status)}
    if states - VERSION_STATES.keys():
        raise InvalidInput("status is released, unreleased or archived.", field="status")
    text = (query or "").strip().casefold()
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        project = await _project(session, actor, project_ref)
        found = [v for v in await list_parts(session, Version, project)
                 if (not states or any(VERSION_STATES[state](v) for state in states))
                 and (text in v.name.casefold() or text in v.description.casefold())]
    sort_key = VERSION_ORDERS[order.lstrip("+-").lower()]
    if sort_key is not None:
        found.sort(key=sort_key)
    if order.startswith("-"):
        found.reverse()
    values = [part_json(links, v, project) for v in found[startAt:startAt + maxResults]]
    return page_bean(values, start_at=startAt, max_results=maxResults, total=len(found), url=str(ctx.request.url))


@router.get("/project/{project_ref}/statuses")
async def project_statuses(project_ref: str, ctx: Ctx) -> list[dict]:
    """Per issue type, the statuses of the workflow its issues get."""
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        project = await _project(session, actor, project_ref)
        catalog = await catalog_for(session, actor)
    result = []
    for kind in catalog.issue_types:
        workflow = workflow_for_new_issue(catalog, project, kind.id, None)
        status_ids = [s["id"] if isinstance(s, dict) else s for s in workflow.definition.get("statuses", [])]
        statuses = [catalog.status(status_id) for status_id in status_ids]
        result.append({**issuetype_json(links, kind.id, kind.name, kind.subtask), "statuses": [
            status_json(links, s.id, s.name, s.category, s.description) for s in statuses]})
    return result


@router.get("/project/{project_ref}/role")
async def project_roles(project_ref: str, ctx: Ctx) -> dict:
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        project = await _project(session, actor, project_ref)
    return {role.title(): f"{links.api}/project/{project.id}/role/{ROLE_IDS[role]}" for role in PROJECT_ROLES}


@router.get("/project/{project_ref}/role/{role_id}")
async def project_role(project_ref: str, role_id: str, ctx: Ctx) -> dict:
    role = next((name for name, number in ROLE_IDS.items() if str(number) == role_id or name == role_id.lower()),
                None)
    if role is None:
        raise NotFound("The project role does not exist.")
    links, cloud = links_for(ctx), is_cloud(ctx)
    async with ctx.transaction() as (session, actor):
        project = await _project(session, actor, project_ref)
        members = (await list_role_members(session, actor=actor, project=project)).get(role, [])
        users = await users_by_id(session, actor.organization_id, set(members))
    return {"self": f"{links.api}/project/{project.id}/role/{ROLE_IDS[role]}", "name": role.title(),
            "id": ROLE_IDS[role], "description": f"The project's {role}.", "actors": [
                {"id": user.id, "displayName": user.display_name, "type": "atlassian-user-role-actor",
                 # Cloud names people by accountId only (no username); Server by name.
                 **({"actorUser": {"accountId": str(user.id)}} if cloud else {"name": user.email})}
                for user in users.values()]}


def _part_routes(kind: str, model: type[Component] | type[Version]) -> None:
    async def _values(session: AsyncSession, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
        """Jira's update semantics: a null name or description (or flag) leaves it unchanged, a null
        lead or date clears it (Jira's beans track whether those were sent at all)."""
        values: dict[str, Any] = {}
        for name in ("name", "description"):
            text = as_text(body, name)
            if text is not None:
                values[name] = text
        if model is Component and ("leadUserName" in body or "lead" in body or "leadAccountId" in body):
            values["lead_id"] = await user_id_for(session, actor, body.get("leadUserName") or body.get("lead")
                                                  or body.get("leadAccountId"), field="leadUserName")
        if model is Version:
            for jira_name, ours in (("startDate", "start_date"), ("releaseDate", "release_date")):
                if jira_name in body:
                    try:
                        values[ours] = date.fromisoformat(str(body[jira_name])[:10]) if body[jira_name] else None
                    except ValueError:
                        raise InvalidInput(f"'{jira_name}' is a date (YYYY-MM-DD).", field=jira_name) from None
            for name in ("released", "archived"):
                flag = as_bool(body.get(name), field=name)
                if flag is not None:
                    values[name] = flag
        return values

    @router.get(f"/project/{{project_ref}}/{kind}s", name=f"project_{kind}s")
    async def list_(project_ref: str, ctx: Ctx) -> list[dict]:
        async with ctx.transaction() as (session, actor):
            project = await _project(session, actor, project_ref)
            parts = await list_parts(session, model, project)
        links = links_for(ctx)
        return [part_json(links, part, project) for part in parts]

    @router.post(f"/{kind}", status_code=201, name=f"create_{kind}")
    async def create(request: Request, ctx: Ctx) -> JSONResponse:
        body = await json_object(request)
        project_ref = body.get("projectId") or ref_of(body.get("project"), "key", "id")
        if project_ref is None:
            raise InvalidInput("'project' (its key) or 'projectId' is required.", field="project")
        async with ctx.transaction() as (session, actor):
            try:
                project = await access_project(session, actor, project_ref)
            except NotFound:
                raise InvalidInput(f"The project '{str(project_ref)[:40]}' does not exist.", field="project") \
                    from None
            part = await check_create_part(session, actor=actor, model=model, project=project,
                                           values=await _values(session, actor, body))
            leads = await users_by_id(session, actor.organization_id, {getattr(part, "lead_id", None)} - {None})
        links = links_for(ctx)
        return JSONResponse(part_json(links, part, project, leads.get(getattr(part, "lead_id", 0) or 0)),
                            status_code=201)

    @router.get(f"/{kind}/{{part_id}}", name=f"get_{kind}")
    async def get(part_id: str, ctx: Ctx) -> dict:
        async with ctx.transaction() as (session, actor):
            part, project = await access_part(session, actor, model, _part_id(part_id, kind))
            leads = await users_by_id(session, actor.organization_id, {getattr(part, "lead_id", None)} - {None})
        return part_json(links_for(ctx), part, project, leads.get(getattr(part, "lead_id", 0) or 0))

    @router.put(f"/{kind}/{{part_id}}", name=f"update_{kind}")
    async def update(part_id: str, request: Request, ctx: Ctx) -> dict:
        body = await json_object(request)
        async with ctx.transaction() as (session, actor):
            part, project = await access_part(session, actor, model, _part_id(part_id, kind))
            part = await check_update_part(session, actor=actor, part=part, project=project,
                                           values=await _values(session, actor, body))
            leads = await users_by_id(session, actor.organization_id, {getattr(part, "lead_id", None)} - {None})
        return part_json(links_for(ctx), part, project, leads.get(getattr(part, "lead_id", 0) or 0))

    @router.delete(f"/{kind}/{{part_id}}", status_code=204, name=f"delete_{kind}")
    async def delete(part_id: str, ctx: Ctx) -> Response:
        async with ctx.transaction() as (session, actor):
            part, project = await access_part(session, actor, model, _part_id(part_id, kind))
            await check_delete_part(session, actor=actor, part=part, project=project)
        return Response(status_code=204)


def _part_id(ref: str, kind: str) -> int:
    part_id = parse_id(ref)
    if part_id is None:
        raise NotFound(f"The {kind} with id '{ref[:40]}' does not exist.")
    return part_id


_part_routes("component", Component)
_part_routes("version", Version)


@router.post("/version/{part_id}/move")
async def move_version(part_id: str, request: Request, ctx: Ctx) -> dict:
    """`{"position": "First" | "Last" | "Earlier" | "Later"}` or `{"after": <a version's self URL or id>}`."""
    body = await json_object(request)
    position, after_ref = as_text(body, "position"), as_text(body, "after")
    async with ctx.transaction() as (session, actor):
        version, project = await access_part(session, actor, Version, _part_id(part_id, "version"))
        after = None
        if after_ref is not None:
            try:
                after, _ = await access_part(session, actor, Version, _part_id(after_ref.rstrip("/").rsplit("/", 1)[-1],
                                                                               "version"))
            except NotFound:
                raise InvalidInput(f"The version '{after_ref[:100]}' does not exist.", field="after") from None
        version = await check_move_version(session, actor=actor, version=version, project=project,
                                           position=position, after=after)
    return part_json(links_for(ctx), version, project)


async def _counted(part_id: str, ctx: RequestContext) -> tuple[str, VersionCounts]:
    """The version's `self` and its issue counts."""
    async with ctx.transaction() as (session, actor):
        version, _ = await access_part(session, actor, Version, _part_id(part_id, "version"))
        return f"{links_for(ctx).api}/version/{version.id}", await version_counts(session, version)


@router.get("/version/{part_id}/relatedIssueCounts")
async def version_related_counts(part_id: str, ctx: Ctx) -> dict:
    self_url, counts = await _counted(part_id, ctx)
    return {"self": self_url, "issuesFixedCount": counts.fixed, "issuesAffectedCount": counts.affected,
            "issueCountWithCustomFieldsShowingVersion": 0}


@router.get("/version/{part_id}/unresolvedIssueCount")
async def version_unresolved_count(part_id: str, ctx: Ctx) -> dict:
    self_url, counts = await _counted(part_id, ctx)
    return {"self": self_url, "issuesUnresolvedCount": counts.unresolved, "issuesCount": counts.fixed}
