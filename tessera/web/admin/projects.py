"""/admin/projects: every project (archived ones too), creating one (key, name, type, lead,
access, workflow scheme), and a project's settings page: its details, permission scheme, archiving, deleting
(typing the key again), with its components, versions and roles (admin/project_parts.py).
Changes go through projects.service, projects.permission_schemes, issues.project_deletion and
issues.workflow_migration, as POST/PUT /v2/projects and their permission and workflow scheme routes do."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_positive_int
from tessera.errors import InvalidInput, NotFound
from tessera.issues.attachments.service import discard_objects
from tessera.issues.project_deletion import check_delete_project
from tessera.issues.workflow_migration import check_assign_scheme
from tessera.projects import issue_security, permission_schemes
from tessera.projects.components import list_parts
from tessera.projects.models import PROJECT_TYPES, Component, Project, Version
from tessera.projects.service import (
    ACCESS_LEVELS,
    access_project,
    check_create_project,
    check_update_project,
    list_projects,
    list_role_members,
)
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import PROJECT_ROLES
from tessera.tenancy.service import users_by_id
from tessera.web.admin.forms import FORM_ERRORS, FormError, require_admin, user_id_by_login
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.workflow.service import access_scheme, list_schemes

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/projects"
NOTICES = {"created": "The project is created.", "saved": "The project is saved.", "archived": "The project is archived.",
           "restored": "The project is live again.", "deleted": "The project is deleted.",
           "permissions": "The project's permission scheme is changed.",
           "security": "The project's issue security scheme is changed.",
           "component": "The components are saved.", "version": "The versions are saved.", "roles": "The roles are saved."}


async def access_admin_project(session: AsyncSession, actor: Actor, key: str) -> Project:
    """Another organization's project, or none, is the same 404."""
    require_admin(actor)
    return await access_project(session, actor, key)


@router.get(PAGE)
async def projects_page(web: Web, done: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        projects = await list_projects(session, actor, include_archived=True)
        leads = await users_by_id(session, actor.organization_id, {p.lead_id for p in projects if p.lead_id})
    return web.render("admin/projects.html", projects=projects, leads=leads, notice=NOTICES.get(done, ""),
                      nav="admin-projects")


async def _new_form(web: Web, *, status_code: int = 200, error: FormError | None = None,
                    form: dict[str, str] | None = None) -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        schemes = await list_schemes(session, actor.organization_id)
    return web.render("admin/project_new.html", status_code=status_code, schemes=schemes, types=PROJECT_TYPES,
                      access_levels=ACCESS_LEVELS, error=error, form=form or {}, nav="admin-projects")


@router.get(PAGE + "/new")
async def new_project_page(web: Web) -> Response:
    return await _new_form(web)


@router.post(PAGE + "/new")
async def create_project(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            lead = await user_id_by_login(session, actor, form.get("lead", ""), field="lead")
            project = await check_create_project(
                session, actor=actor, key=form.get("key", ""), name=form.get("name", ""),
                description=form.get("description", ""), project_type=form.get("project_type", "software"),
                lead_id=lead, access=form.get("access", "open"))
            if form.get("workflow_scheme"):
                scheme = await _scheme(session, actor, form["workflow_scheme"])
                await check_assign_scheme(session, actor=actor, project=project, scheme=scheme, status_mapping={})
    except FORM_ERRORS as error:
        return await _new_form(web, status_code=error.status, error=FormError.of("create", _named(error)), form=form)
    return web.redirect(f"{PAGE}/{project.key}?done=created")


def _named(error: Any) -> Any:
    """The domain names fields as the API does; the form's fields are named for people."""
    names = {"lead_id": "lead", "project_type": "project_type"}
    if getattr(error, "field", None) in names:
        error.field = names[error.field]
    return error


async def _scheme(session: AsyncSession, actor: Actor, ref: str) -> Any:
    try:
        return await access_scheme(session, actor, ref)
    except NotFound:
        raise InvalidInput("Choose one of the workflow schemes.", field="workflow_scheme") from None


async def render_project(web: Web, key: str, *, status_code: int = 200, error: FormError | None = None,
                         form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        project = await access_admin_project(session, actor, key)
        components = await list_parts(session, Component, project)
        versions = await list_parts(session, Version, project)
        roles = await list_role_members(session, actor=actor, project=project)
        schemes = await list_schemes(session, actor.organization_id)
        permission_scheme = await permission_schemes.scheme_of_project(session, actor, project)
        all_permission_schemes = await permission_schemes.list_schemes(session, actor)
        security_schemes = await issue_security.list_schemes(session, actor)
        wanted = {project.lead_id} | {c.lead_id for c in components} | {u for ids in roles.values() for u in ids}
        people = await users_by_id(session, actor.organization_id, {u for u in wanted if u})
    # `managed`, not `project`: base.html would show the project's own side navigation for that.
    return web.render("admin/project.html", status_code=status_code, managed=project, components=components,
                      versions=versions, roles=roles, role_names=PROJECT_ROLES, people=people, schemes=schemes,
                      permission_scheme=permission_scheme, permission_schemes=all_permission_schemes,
                      security_schemes=security_schemes,
                      types=PROJECT_TYPES, access_levels=ACCESS_LEVELS, error=error, form=form or {},
                      notice=NOTICES.get(notice, ""), today=date.today().isoformat(), nav="admin-projects")


@router.get(PAGE + "/{key}")
async def project_page(key: str, web: Web, done: str = "") -> Response:
    return await render_project(web, key, notice=done)


@router.post(PAGE + "/{key}")
async def save_project(key: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            project = await access_admin_project(session, actor, key)
            version = form.get("version", "")
            changes: dict[str, object] = {name: form.get(name, "") for name in
                                          ("name", "description", "project_type", "access")}
            changes["lead_id"] = await user_id_by_login(session, actor, form.get("lead", ""), field="lead")
            expected = parse_positive_int(version) if version else None
            if version and expected is None:
                raise InvalidInput("The form's version is not a number: reload the page.", field="version")
            await check_update_project(session, actor=actor, project=project, changes=changes,
                                       expected_version=expected)
            chosen = form.get("workflow_scheme", "")
            if chosen and chosen != str(project.workflow_scheme_id or ""):
                scheme = await _scheme(session, actor, chosen)
                await check_assign_scheme(session, actor=actor, project=project, scheme=scheme, status_mapping={})
    except FORM_ERRORS as error:
        return await render_project(web, key, status_code=error.status, error=FormError.of("details", _named(error)),
                                    form=form)
    return web.redirect(f"{PAGE}/{project.key}?done=saved")


@router.post(PAGE + "/{key}/permission-scheme")
async def choose_permission_scheme(key: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            project = await access_admin_project(session, actor, key)
            await permission_schemes.check_assign_scheme(session, actor=actor, project=project,
                                                         ref=form.get("scheme_id", ""))
    except FORM_ERRORS as error:
        return await render_project(web, key, status_code=error.status, error=FormError.of("permissions", error),
                                    form=form)
    return web.redirect(f"{PAGE}/{project.key}?done=permissions")


@router.post(PAGE + "/{key}/issue-security")
async def choose_issue_security_scheme(key: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            project = await access_admin_project(session, actor, key)
            await issue_security.check_assign_scheme(session, actor=actor, project=project,
                                                     ref=form.get("scheme_id") or None)
    except FORM_ERRORS as error:
        return await render_project(web, key, status_code=error.status, error=FormError.of("security", error),
                                    form=form)
    return web.redirect(f"{PAGE}/{project.key}?done=security")


@router.post(PAGE + "/{key}/archive")
async def archive_project(key: str, web: Web) -> Response:
    form = await web.form()
    archived = form.get("archived") != "false"
    async with web.transaction() as (session, actor):
        project = await access_admin_project(session, actor, key)
        await check_update_project(session, actor=actor, project=project, changes={"archived": archived},
                                   expected_version=None)
    return web.redirect(f"{PAGE}/{project.key}?done={'archived' if archived else 'restored'}")


@router.post(PAGE + "/{key}/delete")
async def delete_project(key: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            project = await access_admin_project(session, actor, key)
            leftovers = await check_delete_project(session, actor=actor, project=project,
                                                   confirmation=form.get("confirm", ""), with_issues=False)
    except FORM_ERRORS as error:
        return await render_project(web, key, status_code=error.status, error=FormError.of("delete", error), form=form)
    await discard_objects(web.request.app.state.object_store, leftovers)
    return web.redirect(f"{PAGE}?done=deleted")
