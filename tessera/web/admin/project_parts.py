"""A project's components (with their leads), versions (release on a date, archive) and role
members, on its administration page (admin/projects.py), through projects.components and
projects.service as /v2/projects/{id}/components, /versions and /roles/{role}."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import require_id
from tessera.errors import InvalidInput, NotFound
from tessera.projects.components import access_part, check_create_part, check_delete_part, check_update_part
from tessera.projects.models import Component, Version
from tessera.projects.service import check_set_role_members, list_role_members
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import PROJECT_ROLES
from tessera.tenancy.permissions import Permission
from tessera.web.admin.forms import FORM_ERRORS, FormError, user_id_by_login
from tessera.web.admin.projects import PAGE, access_admin_project, render_project
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
KINDS = {"components": Component, "versions": Version}


def _day(text: str, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text[:20]}' is not a date like 2026-01-31.", field=field) from None


async def _values(session: AsyncSession, actor: Actor, kind: str, form: dict[str, str]) -> dict[str, object]:
    """What the posted form sets: the fields present in it, in the domain's terms."""
    values: dict[str, object] = {name: form[name] for name in ("name", "description") if name in form}
    if kind == "components" and "lead" in form:
        values["lead_id"] = await user_id_by_login(session, actor, form["lead"], field="lead")
    if kind == "versions":
        for name in ("start_date", "release_date"):
            if name in form:
                values[name] = _day(form[name], name)
        for name in ("released", "archived"):
            if name in form:
                values[name] = form[name] == "true"
    return values


def _kind(kind: str) -> type[Component] | type[Version]:
    if kind not in KINDS:
        raise NotFound("Only components and versions are parts of a project.")
    return KINDS[kind]


@router.post(PAGE + "/{key}/roles/{role}")
async def change_role(key: str, role: str, web: Web) -> Response:
    """Registered before the part routes, which would take "roles" for a kind. `add` (an email) adds someone to the role; `remove` (a user id) takes them out."""
    if role not in PROJECT_ROLES:  # a path naming no role names nothing
        raise NotFound("No such project role.")
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            project = await access_admin_project(session, actor, key)
            members: list[object] = list((await list_role_members(session, actor=actor, project=project)).get(role, []))
            if form.get("add"):
                members.append(await user_id_by_login(session, actor, form["add"], field="add"))
            if form.get("remove"):
                members = [m for m in members if str(m) != form["remove"].strip()]
            await check_set_role_members(session, actor=actor, project=project, role=role, user_ids=members)
    except FORM_ERRORS as error:
        return await render_project(web, key, status_code=error.status, error=FormError.of(f"role-{role}", error),
                                    form=form)
    return web.redirect(f"{PAGE}/{project.key}?done=roles#roles")


@router.post(PAGE + "/{key}/{kind}")
async def create_part(key: str, kind: str, web: Web) -> Response:
    model = _kind(kind)
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            project = await access_admin_project(session, actor, key)
            await check_create_part(session, actor=actor, model=model, project=project,
                                    values=await _values(session, actor, kind, form))
    except FORM_ERRORS as error:
        return await render_project(web, key, status_code=error.status, error=FormError.of(f"new-{kind}", error),
                                    form=form)
    return web.redirect(f"{PAGE}/{project.key}?done={kind[:-1]}#{kind}")


@router.post(PAGE + "/{key}/{kind}/{part_id}")
async def update_part(key: str, kind: str, part_id: str, web: Web) -> Response:
    model = _kind(kind)
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            project = await access_admin_project(session, actor, key)
            part, owner = await access_part(session, actor, model, require_id(part_id, not_found="Not found."),
                                            Permission.ADMINISTER_PROJECTS)
            if owner.id != project.id:
                raise InvalidInput("That belongs to another project.")
            await check_update_part(session, actor=actor, part=part, project=project,
                                    values=await _values(session, actor, kind, form))
    except FORM_ERRORS as error:
        return await render_project(web, key, status_code=error.status,
                                    error=FormError.of(f"{kind}-{part_id}", error), form=form)
    return web.redirect(f"{PAGE}/{project.key}?done={kind[:-1]}#{kind}")


@router.post(PAGE + "/{key}/{kind}/{part_id}/delete")
async def delete_part(key: str, kind: str, part_id: str, web: Web) -> Response:
    model = _kind(kind)
    async with web.transaction() as (session, actor):
        project = await access_admin_project(session, actor, key)
        part, owner = await access_part(session, actor, model, require_id(part_id, not_found="Not found."),
                                        Permission.ADMINISTER_PROJECTS)
        if owner.id != project.id:
            raise InvalidInput("That belongs to another project.")
        await check_delete_part(session, actor=actor, part=part, project=project)
    return web.redirect(f"{PAGE}/{project.key}?done={kind[:-1]}#{kind}")
