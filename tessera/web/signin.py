"""Sign-in and sign-out: the browser session shared with the native API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from tessera.edge.authentication import SESSION_COOKIE, record_failed_signin
from tessera.errors import NotAuthenticated, RateLimited
from tessera.tenancy.auth import (
    authenticate_password,
    authenticate_session,
    do_create_web_session,
    do_end_web_session,
)
from tessera.tenancy.origins import validate_own_origin
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or protocol-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/projects"
    return target


@router.get("/")
async def home(web: Web) -> Response:
    cookie = web.request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            async with web.anonymous(write=False) as session:
                await authenticate_session(session, cookie)
            return RedirectResponse("/projects", status_code=303)
        except NotAuthenticated:
            pass
    return RedirectResponse("/signin", status_code=303)


@router.get("/signin")
async def signin_form(web: Web, next: str | None = None) -> Response:
    return web.render("signin.html", next=safe_next(next), email="", organization="", error=None)


@router.post("/signin")
async def signin(web: Web) -> Response:
    """No session exists yet, so no CSRF token: the Origin (or Referer) must be this site's, or
    another site could sign a visitor in to an account of its choosing (login CSRF)."""
    headers = web.request.headers
    validate_own_origin(origin=headers.get("origin"), referer=headers.get("referer"), base_url=web.settings.base_url,
                     host=headers.get("host"))
    form = await web.form()
    email, password = form.get("email", "").strip(), form.get("password", "")
    organization = form.get("organization", "").strip()
    target = safe_next(form.get("next"))
    try:
        if not email or not password:
            raise NotAuthenticated("Enter your email and password.")
        async with web.anonymous() as session:
            actor = await authenticate_password(session, email, password, organization or None, guard=web.guard)
            secret = await do_create_web_session(session, actor=actor,
                                                 ttl=timedelta(hours=web.settings.session_ttl_hours),
                                                 user_agent=headers.get("user-agent"),
                                                 ip_address=web.request.client.host if web.request.client else None)
    except RateLimited as refusal:
        await record_failed_signin(web.database, refusal, email=email, organization_key=organization)
        return web.render("signin.html", status_code=429, headers={"Retry-After": str(refusal.retry_after)},
                          next=target, email=email, organization=organization, error=refusal.message)
    except NotAuthenticated as error:
        if email and password:
            await record_failed_signin(web.database, error, email=email, organization_key=organization)
        message = error.message
        if error.code == "ambiguous_organization":
            message = "This email belongs to several organizations: enter the organization key too."
        return web.render("signin.html", status_code=401, next=target, email=email, organization=organization,
                          error=message)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, max_age=web.settings.session_ttl_hours * 3600, httponly=True,
                        samesite="lax", secure=web.settings.session_cookie_secure, path="/")
    return response


@router.post("/signout")
async def signout(web: Web) -> Response:
    async with web.transaction() as (session, _):  # checks the session and the form's CSRF token
        await do_end_web_session(session, session_secret=web.request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
