"""/admin/permission-schemes and /admin/global-permissions: the organization's permission schemes
(create, rename, delete when unused, one scheme's grants as a permission x holders table with
grants added and removed) and its global permission grants, through projects.permission_schemes
as /v2/permission-schemes and /v2/global-permissions do. A project's scheme is chosen on its
settings page (admin/projects.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import require_id
from tessera.errors import Conflict, InvalidInput, QuotaExceeded
from tessera.projects import permission_schemes as schemes
from tessera.projects.custom_fields import list_field_definitions
from tessera.projects.service import list_projects
from tessera.tenancy.actor import Actor
from tessera.tenancy.groups import list_groups
from tessera.tenancy.models import ORG_ROLES, PROJECT_ROLES, GlobalPermissionGrant, PermissionGrant
from tessera.tenancy.permissions import (
    GLOBAL_HOLDER_TYPES,
    GLOBAL_PERMISSIONS,
    GROUP,
    HOLDER_TYPES,
    ORG_ROLE,
    PROJECT_PERMISSIONS,
    PROJECT_ROLE,
    USER,
    USER_FIELD,
)
from tessera.web.admin.forms import FORM_ERRORS, FormError, require_admin, user_id_by_login
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/permission-schemes"
GLOBAL_PAGE = "/admin/global-permissions"
MISSING = "Permission scheme not found."
NOTICES = {"created": "The permission scheme is created.", "saved": "The permission scheme is saved.",
           "deleted": "The permission scheme is deleted.", "added": "The grant is added.",
           "removed": "The grant is removed."}
HOLDER_LABELS = {"anyone": "Anyone signed in", ORG_ROLE: "Organization role", PROJECT_ROLE: "Project role",
                 GROUP: "Group", USER: "User", "reporter": "Reporter", "assignee": "Current assignee",
                 "project_lead": "Project lead", USER_FIELD: "User custom field"}
# The service names a grant's fields as the API's JSON does; the form's fields are flat.
_FORM_FIELDS = {"grant.permission": "permission", "grant.holder.type": "holder_type",
                "grant.holder.parameter": "parameter", "holder.type": "holder_type",
                "holder.parameter": "parameter", "grant": "", "holder": ""}


def _named(error: InvalidInput | Conflict | QuotaExceeded) -> InvalidInput | Conflict | QuotaExceeded:
    if error.field in _FORM_FIELDS:
        error.field = _FORM_FIELDS[error.field] or None
    return error


async def _holder_spec(session: AsyncSession, actor: Actor, form: dict[str, str]) -> dict[str, Any]:
    """{"type", "parameter"} of the form; a user is named by email here, by id in the service."""
    kind = form.get("holder_type", "").strip().lower()
    parameter: object = form.get("parameter", "").strip()
    if kind == USER:
        parameter = await user_id_by_login(session, actor, str(parameter), field="parameter")
        if parameter is None:
            raise InvalidInput("A user holder names a user (email).", field="parameter")
    return {"type": kind, "parameter": parameter or None}


def _spec(permission: str, holder: dict[str, Any]) -> dict[str, Any]:
    return {"permission": permission, "holder": holder}


async def _labels(session: AsyncSession, actor: Actor,
                  grants: Sequence[PermissionGrant | GlobalPermissionGrant]) -> dict[int, str]:
    """Each grant's holder as people read it ("Group: ops"), by grant id."""
    names = await schemes.holder_names(session, actor, grants)
    fields = {str(d.id): d.name for d in await list_field_definitions(session, actor.organization_id)}
    labels = {}
    for grant in grants:
        label = HOLDER_LABELS.get(grant.holder_type, grant.holder_type)
        user_id = getattr(grant, "user_id", None)
        if grant.group_id is not None:
            label += f": {names.groups.get(grant.group_id, grant.group_id)}"
        elif user_id is not None:
            label += f": {names.users.get(user_id, user_id)}"
        elif grant.holder_type == USER_FIELD:
            label += f": {fields.get(grant.parameter or '', grant.parameter)}"
        elif grant.parameter:
            label += f": {grant.parameter}"
        labels[grant.id] = label
    return labels


async def _suggestions(session: AsyncSession, actor: Actor) -> list[str]:
    """What the parameter box offers: roles, the first groups and the user custom fields."""
    groups, _ = await list_groups(session, actor, start_at=0, max_results=100)
    fields = [d.name for d in await list_field_definitions(session, actor.organization_id) if d.field_type == "user"]
    return sorted({*ORG_ROLES, *PROJECT_ROLES, *(g.name for g, _ in groups), *fields})


async def _list(web: Web, *, status_code: int = 200, error: FormError | None = None,
                form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        found = await schemes.list_schemes(session, actor)
        projects = {p.id: p for p in await list_projects(session, actor, include_archived=True)}
    return web.render("admin/permission_schemes.html", status_code=status_code, schemes=found, projects=projects,
                      error=error, form=form or {}, notice=NOTICES.get(notice, ""), nav="admin-permissions")


async def _scheme(web: Web, ref: str, *, status_code: int = 200, error: FormError | None = None,
                  form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        details = await schemes.get_scheme(session, actor, require_id(ref, not_found=MISSING))
        labels = await _labels(session, actor, details.grants)
        projects = {p.id: p for p in await list_projects(session, actor, include_archived=True)}
        suggestions = await _suggestions(session, actor)
    by_permission: dict[str, list[PermissionGrant]] = {}
    for grant in details.grants:
        by_permission.setdefault(grant.permission, []).append(grant)
    return web.render("admin/permission_scheme.html", status_code=status_code, details=details,
                      by_permission=by_permission, labels=labels, permissions=PROJECT_PERMISSIONS,
                      holder_types=HOLDER_TYPES, holder_labels=HOLDER_LABELS, projects=projects,
                      suggestions=suggestions, error=error, form=form or {}, notice=NOTICES.get(notice, ""),
                      nav="admin-permissions")


@router.get(PAGE)
async def schemes_page(web: Web, done: str = "") -> Response:
    return await _list(web, notice=done)


@router.post(PAGE)
async def create_scheme(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            details = await schemes.check_create_scheme(session, actor=actor, name=form.get("name", ""),
                                                        description=form.get("description", ""))
    except FORM_ERRORS as error:
        return await _list(web, status_code=error.status, error=FormError.of("create", error), form=form)
    return web.redirect(f"{PAGE}/{details.scheme.id}?done=created")


@router.get(PAGE + "/{scheme_id}")
async def scheme_page(scheme_id: str, web: Web, done: str = "") -> Response:
    return await _scheme(web, scheme_id, notice=done)


@router.post(PAGE + "/{scheme_id}")
async def save_scheme(scheme_id: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            await schemes.check_update_scheme(session, actor=actor, ref=require_id(scheme_id, not_found=MISSING),
                                              changes={"name": form.get("name", ""),
                                                       "description": form.get("description", "")})
    except FORM_ERRORS as error:
        return await _scheme(web, scheme_id, status_code=error.status, error=FormError.of("details", error), form=form)
    return web.redirect(f"{PAGE}/{scheme_id}?done=saved")


@router.post(PAGE + "/{scheme_id}/delete")
async def delete_scheme(scheme_id: str, web: Web) -> Response:
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            await schemes.check_delete_scheme(session, actor=actor, ref=require_id(scheme_id, not_found=MISSING))
    except FORM_ERRORS as error:
        return await _scheme(web, scheme_id, status_code=error.status, error=FormError.of("delete", error))
    return web.redirect(f"{PAGE}?done=deleted")


@router.post(PAGE + "/{scheme_id}/grants")
async def add_grant(scheme_id: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            ref = require_id(scheme_id, not_found=MISSING)
            await schemes.get_scheme(session, actor, ref)  # another organization's scheme is a 404, not a form error
            spec = _spec(form.get("permission", ""), await _holder_spec(session, actor, form))
            await schemes.check_add_grant(session, actor=actor, ref=ref, spec=spec)
    except FORM_ERRORS as error:
        return await _scheme(web, scheme_id, status_code=error.status, error=FormError.of("grant", _named(error)),
                             form=form)
    return web.redirect(f"{PAGE}/{scheme_id}?done=added")


@router.post(PAGE + "/{scheme_id}/grants/{grant_id}/remove")
async def remove_grant(scheme_id: str, grant_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        require_admin(actor)
        await schemes.check_remove_grant(session, actor=actor, ref=require_id(scheme_id, not_found=MISSING),
                                         grant_ref=require_id(grant_id, not_found="Permission grant not found."))
    return web.redirect(f"{PAGE}/{scheme_id}?done=removed")


# -- global permissions ---------------------------------------------------------------------------


async def _globals(web: Web, *, status_code: int = 200, error: FormError | None = None,
                   form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        grants = await schemes.list_global_grants(session, actor)
        labels = await _labels(session, actor, grants)
        suggestions = await _suggestions(session, actor)
    by_permission: dict[str, list[GlobalPermissionGrant]] = {}
    for grant in grants:
        by_permission.setdefault(grant.permission, []).append(grant)
    return web.render("admin/global_permissions.html", status_code=status_code, by_permission=by_permission,
                      labels=labels, permissions=GLOBAL_PERMISSIONS, holder_types=GLOBAL_HOLDER_TYPES,
                      holder_labels=HOLDER_LABELS, suggestions=suggestions, error=error, form=form or {},
                      notice=NOTICES.get(notice, ""), nav="admin-global-permissions")


@router.get(GLOBAL_PAGE)
async def global_page(web: Web, done: str = "") -> Response:
    return await _globals(web, notice=done)


@router.post(GLOBAL_PAGE)
async def add_global_grant(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            spec = _spec(form.get("permission", ""), await _holder_spec(session, actor, form))
            await schemes.check_add_global_grant(session, actor=actor, spec=spec)
    except FORM_ERRORS as error:
        return await _globals(web, status_code=error.status, error=FormError.of("grant", _named(error)), form=form)
    return web.redirect(f"{GLOBAL_PAGE}?done=added")


@router.post(GLOBAL_PAGE + "/{grant_id}/remove")
async def remove_global_grant(grant_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        require_admin(actor)
        await schemes.check_remove_global_grant(session, actor=actor,
                                                grant_ref=require_id(grant_id, not_found="Global permission grant not found."))
    return web.redirect(f"{GLOBAL_PAGE}?done=removed")
