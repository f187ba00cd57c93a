"""/admin/settings: the organization's name and the defaults for people it invites
(tenancy.org_settings), and its usage against its quotas (tenancy.limits: seats, attachment
storage, and the request and search rates it is allowed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.issues.attachments.storage_usage import storage_usage
from tessera.tenancy.limits import effective_limits
from tessera.tenancy.models import ORG_ROLES
from tessera.tenancy.org_settings import access_organization, check_update_organization, organization_defaults
from tessera.tenancy.service import seats_taken
from tessera.tenancy.time_zones import time_zone_names
from tessera.web.admin.forms import FORM_ERRORS, FormError, require_admin
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/settings"


async def _render(web: Web, *, status_code: int = 200, error: FormError | None = None,
                  form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        organization = await access_organization(session, actor)
        limits = effective_limits(organization)
        seats = await seats_taken(session, organization.id)
        storage = await storage_usage(session, organization.id)
    return web.render("admin/settings.html", status_code=status_code, organization=organization,
                      defaults=organization_defaults(organization), limits=limits, seats=seats, storage=storage,
                      roles=ORG_ROLES, time_zones=time_zone_names(), error=error, form=form or {}, notice=notice,
                      nav="admin-settings")


@router.get(PAGE)
async def settings_page(web: Web, done: str = "") -> Response:
    return await _render(web, notice="The settings are saved." if done == "saved" else "")


@router.post(PAGE)
async def save_settings(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            await check_update_organization(session, actor=actor, name=form.get("name", ""),
                                            default_role=form.get("default_role", ""),
                                            default_time_zone=form.get("default_time_zone", ""))
    except FORM_ERRORS as error:
        return await _render(web, status_code=error.status, error=FormError.of("settings", error), form=form)
    return web.redirect(f"{PAGE}?done=saved")
