"""/admin and /admin/users: the organization's people a page at a time, inviting someone by
email (tenancy.invitations: the link is shown once, here, and mailed through the email channel
when the server has an SMTP server: notifications.email.invitation), a new link for someone who
has not joined or revoking a pending one, changing a role, deactivating and reactivating
(tenancy.service.check_update_user, as PUT /v2/users/{id})."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import require_id
from tessera.notifications.email.invitation import do_mail_invitation
from tessera.tenancy.actor import Actor
from tessera.tenancy.invitations import (
    INVITATION_DAYS,
    NewInvitation,
    check_invite_user,
    check_reinvite_user,
    check_revoke_invitation,
    never_joined,
    pending_user_ids,
)
from tessera.tenancy.models import ORG_ROLES, User
from tessera.tenancy.org_settings import access_organization, organization_defaults
from tessera.tenancy.service import access_user, check_update_user, list_users
from tessera.web.admin.forms import FORM_ERRORS, FormError, paging, require_admin
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/users"
NOTICES = {"role": "The role is changed.", "deactivated": "The user is deactivated and signed out everywhere.",
           "reactivated": "The user is active again.",
           "revoked": "The invitation is revoked: its link no longer works."}


@router.get("/admin")
async def admin_home(web: Web) -> Response:
    async with web.transaction(write=False) as (_, actor):
        require_admin(actor)
    return RedirectResponse(PAGE, status_code=303)


async def _render(web: Web, *, q: str = "", page: str = "1", status_code: int = 200, error: FormError | None = None,
                  form: dict[str, str] | None = None, invitation: dict[str, str] | None = None,
                  notice: str = "") -> Response:
    q = q.strip()[:200]
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        shown = paging(page)
        users, total = await list_users(session, actor, query=q or None, start_at=shown.start, max_results=shown.size)
        pending = await pending_user_ids(session, organization_id=actor.organization_id, user_ids=[u.id for u in users])
        defaults = organization_defaults(await access_organization(session, actor))
    return web.render("admin/users.html", status_code=status_code, users=users, pending=pending, never_joined=never_joined,
                      paging=paging(page, total), q=q, roles=ORG_ROLES, default_role=defaults.role, error=error,
                      form=form or {}, invitation=invitation, notice=NOTICES.get(notice, ""),
                      invitation_days=INVITATION_DAYS, nav="admin-users")


@router.get(PAGE)
async def users_page(web: Web, q: str = "", page: str = "1", done: str = "") -> Response:
    return await _render(web, q=q, page=page, notice=done)


def _link(web: Web, secret: str) -> str:
    return str(web.request.base_url).rstrip("/") + f"/invite/{secret}"


async def _mail(web: Web, session: AsyncSession, actor: Actor, new: NewInvitation) -> dict[str, str]:
    """What the page shows of a new invitation: the link (once), and whether it was mailed."""
    organization = await access_organization(session, actor)
    inviter = await session.get(User, actor.user_id)
    mailed = await do_mail_invitation(session, web.settings, invited=new, organization_name=organization.name,
                                      inviter_name=inviter.display_name if inviter else organization.name)
    return {"email": new.user.email, "link": _link(web, new.secret), "mailed": "yes" if mailed else ""}


@router.post(f"{PAGE}/invite")
async def invite(web: Web) -> Response:
    """The answer carries the invitation link: it is shown once and never stored in clear."""
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            new = await check_invite_user(session, actor=actor, email=form.get("email", ""),
                                          display_name=form.get("name", ""), role=form.get("role") or None)
            invited = await _mail(web, session, actor, new)
    except FORM_ERRORS as error:
        return await _render(web, status_code=error.status, error=FormError.of("invite", error), form=form)
    return await _render(web, status_code=201, invitation=invited)


@router.post(PAGE + "/{user_id}/invite")
async def reinvite(user_id: str, web: Web) -> Response:
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            user = await access_user(session, actor, require_id(user_id, not_found="User not found."))
            new = await check_reinvite_user(session, actor=actor, user=user)
            invited = await _mail(web, session, actor, new)
    except FORM_ERRORS as error:
        return await _render(web, status_code=error.status, error=FormError.of("users", error))
    return await _render(web, invitation=invited)


@router.post(PAGE + "/{user_id}/revoke")
async def revoke(user_id: str, web: Web) -> Response:
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            user = await access_user(session, actor, require_id(user_id, not_found="User not found."))
            await check_revoke_invitation(session, actor=actor, user=user)
    except FORM_ERRORS as error:
        return await _render(web, status_code=error.status, error=FormError.of("users", error))
    return web.redirect(f"{PAGE}?done=revoked")


@router.post(PAGE + "/{user_id}")
async def change_user(user_id: str, web: Web) -> Response:
    """One of: `role` (a new role), `active` ("true"/"false")."""
    form = await web.form()
    role = form.get("role")
    active = {"true": True, "false": False}.get(form.get("active", ""))
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            user = await access_user(session, actor, require_id(user_id, not_found="User not found."))
            await check_update_user(session, actor, user, role=role, active=active)
    except FORM_ERRORS as error:
        return await _render(web, status_code=error.status, error=FormError.of("users", error), form=form)
    done = "role" if role is not None else ("reactivated" if active else "deactivated")
    # Back to the list as it was shown: only its search and page are carried over.
    shown = parse_qs(form.get("back", "").lstrip("?")[:400])
    kept = {name: shown[name][-1][:200] for name in ("q", "page") if shown.get(name)}
    return web.redirect(f"{PAGE}?{urlencode({**kept, 'done': done})}")
