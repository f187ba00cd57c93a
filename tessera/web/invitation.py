"""/invite/{secret}: where an invited person joins (tenancy.invitations): they choose their
name and password, which activates them, and are signed in. The link's secret is the
credential; there is no session yet, so the form's origin is checked as sign-in checks it."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from tessera.edge.authentication import SESSION_COOKIE
from tessera.errors import InvalidInput, QuotaExceeded
from tessera.tenancy.auth import authenticate_password, do_create_web_session
from tessera.tenancy.invitations import access_invitation, check_accept_invitation
from tessera.tenancy.origins import validate_own_origin
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/invite/{secret}")
async def invitation_page(secret: str, web: Web) -> Response:
    async with web.anonymous(write=False) as session:
        _, user, organization = await access_invitation(session, secret)
    return web.render("invitation.html", email=user.email, organization=organization, name=user.display_name,
                      error=None, error_field=None)


@router.post("/invite/{secret}")
async def accept(secret: str, web: Web) -> Response:
    headers = web.request.headers
    validate_own_origin(origin=headers.get("origin"), referer=headers.get("referer"), base_url=web.settings.base_url,
                        host=headers.get("host"))
    form = await web.form()
    password = form.get("password", "")
    try:
        if password != form.get("confirm_password", ""):
            raise InvalidInput("The two passwords differ.", field="confirm_password")
        async with web.anonymous() as session:
            user, organization = await check_accept_invitation(session, secret=secret,
                                                               display_name=form.get("name", ""), password=password)
            actor = await authenticate_password(session, user.email, password, organization.key, guard=web.guard)
            cookie = await do_create_web_session(session, actor=actor,
                                                 ttl=timedelta(hours=web.settings.session_ttl_hours),
                                                 user_agent=headers.get("user-agent"),
                                                 ip_address=web.request.client.host if web.request.client else None)
    except (InvalidInput, QuotaExceeded) as error:
        async with web.anonymous(write=False) as session:
            _, user, organization = await access_invitation(session, secret)
        return web.render("invitation.html", status_code=error.status, email=user.email, organization=organization,
                          name=form.get("name", ""), error=error.message, error_field=error.field)
    response = RedirectResponse("/projects", status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=web.settings.session_ttl_hours * 3600, httponly=True,
                        samesite="lax", secure=web.settings.session_cookie_secure, path="/")
    return response
