"""/admin/issue-security: the organization's issue security schemes (create, rename, choose the
default level, delete when unused) and one scheme's levels with their members (added and
removed), through projects.issue_security as /v2/issue-security-schemes does. A project's scheme
is chosen on its settings page (admin/projects.py); holders are entered as on the permission
scheme pages (admin/permissions.py)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.db.refs import require_id
from tessera.projects import issue_security as security
from tessera.projects.service import list_projects
from tessera.tenancy.permissions import HOLDER_TYPES
from tessera.web.admin.forms import FORM_ERRORS, FormError, require_admin
from tessera.web.admin.permissions import HOLDER_LABELS, _holder_spec, _labels, _named, _suggestions
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/issue-security"
MISSING = "Issue security scheme not found."
LEVEL_MISSING = "Issue security level not found."
NOTICES = {"created": "The issue security scheme is created.", "saved": "The issue security scheme is saved.",
           "deleted": "The issue security scheme is deleted.", "level-added": "The level is added.",
           "level-removed": "The level is removed.", "added": "The member is added.",
           "removed": "The member is removed."}


async def _list(web: Web, *, status_code: int = 200, error: FormError | None = None,
                form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        found = await security.list_schemes(session, actor)
        projects = {p.id: p for p in await list_projects(session, actor, include_archived=True)}
    return web.render("admin/issue_security_schemes.html", status_code=status_code, schemes=found,
                      projects=projects, error=error, form=form or {}, notice=NOTICES.get(notice, ""),
                      nav="admin-issue-security")


async def _scheme(web: Web, ref: str, *, status_code: int = 200, error: FormError | None = None,
                  form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        details = await security.get_scheme(session, actor, require_id(ref, not_found=MISSING))
        labels = await _labels(session, actor, [m for level in details.levels for m in level.members])
        projects = {p.id: p for p in await list_projects(session, actor, include_archived=True)}
        suggestions = await _suggestions(session, actor)
    return web.render("admin/issue_security_scheme.html", status_code=status_code, details=details, labels=labels,
                      holder_types=HOLDER_TYPES, holder_labels=HOLDER_LABELS, projects=projects,
                      suggestions=suggestions, error=error, form=form or {}, notice=NOTICES.get(notice, ""),
                      nav="admin-issue-security")


@router.get(PAGE)
async def schemes_page(web: Web, done: str = "") -> Response:
    return await _list(web, notice=done)


@router.post(PAGE)
async def create_scheme(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            details = await security.check_create_scheme(session, actor=actor, name=form.get("name", ""),
                                                         description=form.get("description", ""))
    except FORM_ERRORS as error:
        return await _list(web, status_code=error.status, error=FormError.of("create", error), form=form)
    return web.redirect(f"{PAGE}/{details.scheme.id}?done=created")


@router.get(PAGE + "/{security_scheme_id}")
async def scheme_page(security_scheme_id: str, web: Web, done: str = "") -> Response:
    return await _scheme(web, security_scheme_id, notice=done)


@router.post(PAGE + "/{security_scheme_id}")
async def save_scheme(security_scheme_id: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            await security.check_update_scheme(
                session, actor=actor, ref=require_id(security_scheme_id, not_found=MISSING),
                changes={"name": form.get("name", ""), "description": form.get("description", ""),
                         "default_level": form.get("default_level") or None})
    except FORM_ERRORS as error:
        return await _scheme(web, security_scheme_id, status_code=error.status, error=FormError.of("details", error), form=form)
    return web.redirect(f"{PAGE}/{security_scheme_id}?done=saved")


@router.post(PAGE + "/{security_scheme_id}/delete")
async def delete_scheme(security_scheme_id: str, web: Web) -> Response:
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            await security.check_delete_scheme(session, actor=actor, ref=require_id(security_scheme_id, not_found=MISSING))
    except FORM_ERRORS as error:
        return await _scheme(web, security_scheme_id, status_code=error.status, error=FormError.of("delete", error))
    return web.redirect(f"{PAGE}?done=deleted")


@router.post(PAGE + "/{security_scheme_id}/levels")
async def add_level(security_scheme_id: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            ref = require_id(security_scheme_id, not_found=MISSING)
            await security.get_scheme(session, actor, ref)  # another organization's scheme is a 404
            await security.check_add_level(session, actor=actor, ref=ref, spec={
                "name": form.get("name", ""), "description": form.get("description", "")})
    except FORM_ERRORS as error:
        if error.field:
            error.field = error.field.removeprefix("level.")
        return await _scheme(web, security_scheme_id, status_code=error.status, error=FormError.of("level", error), form=form)
    return web.redirect(f"{PAGE}/{security_scheme_id}?done=level-added")


@router.post(PAGE + "/{security_scheme_id}/levels/{level_id}/delete")
async def delete_level(security_scheme_id: str, level_id: str, web: Web) -> Response:
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            await security.check_delete_level(session, actor=actor, ref=require_id(security_scheme_id, not_found=MISSING),
                                              level_ref=require_id(level_id, not_found=LEVEL_MISSING))
    except FORM_ERRORS as error:
        return await _scheme(web, security_scheme_id, status_code=error.status, error=FormError.of("levels", error))
    return web.redirect(f"{PAGE}/{security_scheme_id}?done=level-removed")


@router.post(PAGE + "/{security_scheme_id}/members")
async def add_member(security_scheme_id: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            ref = require_id(security_scheme_id, not_found=MISSING)
            await security.get_scheme(session, actor, ref)
            await security.check_add_member(session, actor=actor, ref=ref, level_ref=form.get("level_id", ""),
                                            holder=await _holder_spec(session, actor, form))
    except FORM_ERRORS as error:
        return await _scheme(web, security_scheme_id, status_code=error.status, error=FormError.of("grant", _named(error)),
                             form=form)
    return web.redirect(f"{PAGE}/{security_scheme_id}?done=added")


@router.post(PAGE + "/{security_scheme_id}/levels/{level_id}/members/{member_id}/remove")
async def remove_member(security_scheme_id: str, level_id: str, member_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        require_admin(actor)
        await security.check_remove_member(
            session, actor=actor, ref=require_id(security_scheme_id, not_found=MISSING),
            level_ref=require_id(level_id, not_found=LEVEL_MISSING),
            member_ref=require_id(member_id, not_found="Issue security level member not found."))
    return web.redirect(f"{PAGE}/{security_scheme_id}?done=removed")
