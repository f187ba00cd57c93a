"""/settings/profile: the signed-in user's name, avatar and time zone, password, API tokens and
browser sessions; and /users/{id}/avatar, anyone's avatar for the pages of their organization.
Every change goes through the tenancy services behind /v2/myself, /v2/myself/tokens and
/v2/session (tenancy.service, tenancy.profile, tenancy.avatars): nothing is decided here.

A form refused by the domain is shown again in place with the message at its field (and the
status the API would answer). A new token's secret is shown once, in the answer to the POST
that made it: nothing keeps it for a later GET."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from tessera.db.base import utcnow
from tessera.db.refs import require_id
from tessera.edge.authentication import SESSION_COOKIE
from tessera.errors import InvalidInput, RateLimited
from tessera.notifications.locale import language_name
from tessera.notifications.preferences import preferences_view
from tessera.tenancy.auth import do_end_user_sessions
from tessera.tenancy.avatars import (
    AVATAR_MAX_BYTES,
    AvatarStore,
    check_set_avatar,
    do_remove_avatar,
    initials_svg,
    stored_avatar,
)
from tessera.tenancy.profile import check_change_password, do_end_own_session, list_web_sessions
from tessera.tenancy.service import (
    access_token_owner,
    access_user,
    check_issue_api_token,
    check_update_user,
    do_revoke_token,
    list_tokens,
)
from tessera.tenancy.time_zones import time_zone_names
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
images = APIRouter(include_in_schema=False)  # not pages: errors answer as the API's JSON, not as an HTML page
PAGE = "/settings/profile"
# The expiry choices of the token form: days, or "never".
TOKEN_LIFETIMES = (("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("never", "Never"))
NOTICES = {"profile": "Your profile is saved.", "password": "Your password is changed; your other browsers are "
           "signed out.", "revoked": "The token is revoked: it no longer works.",
           "ended": "That session is signed out.", "others": "Every other browser is signed out.",
           "avatar": "Your avatar is saved.", "avatar-removed": "Your avatar is removed: your initials show instead."}
# An avatar's versioned URL names one picture for ever; the plain one is checked every time.
IMMUTABLE = "private, max-age=31536000, immutable"


async def _render(web: Web, *, status_code: int = 200, section: str | None = None,
                  error: InvalidInput | RateLimited | None = None, form: dict[str, str] | None = None,
                  new_token: str | None = None, notice: str = "", headers: dict[str, str] | None = None) -> Response:
    """`section` names the form `error` belongs to; `form` is what was posted, shown again."""
    async with web.transaction(write=False) as (session, actor):
        me = await access_user(session, actor, actor.user_id)
        tokens = [t for t in await list_tokens(session, owner=me) if not t.revoked]
        sessions = await list_web_sessions(session, actor, current_secret=web.request.cookies.get(SESSION_COOKIE))
        language = (await preferences_view(session, organization_id=actor.organization_id,
                                           user_id=actor.user_id)).get("language", "en")
    return web.render("profile.html", status_code=status_code, headers=headers, me=me, tokens=tokens,
                      sessions=sessions, time_zones=time_zone_names(), lifetimes=TOKEN_LIFETIMES,
                      language=language_name(language), section=section, error=error.message if error else None,
                      error_field=getattr(error, "field", None), form=form or {}, new_token=new_token,
                      notice=NOTICES.get(notice, ""), now=utcnow(), nav="profile",
                      avatar_limit=f"{AVATAR_MAX_BYTES // 1024} KB")


async def _refused(web: Web, section: str, error: InvalidInput | RateLimited, form: dict[str, str]) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    shown = {name: value for name, value in form.items() if "password" not in name}  # never echo a password
    return await _render(web, status_code=error.status, section=section, error=error, form=shown, headers=headers)


@router.get(PAGE)
async def profile_page(web: Web, done: str = "") -> Response:
    return await _render(web, notice=done)


@router.post(PAGE)
async def save_profile(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            me = await access_user(session, actor, actor.user_id)
            await check_update_user(session, actor, me, display_name=form.get("name", ""),
                                    time_zone=form.get("time_zone", ""))
    except InvalidInput as error:
        return await _refused(web, "profile", error, form)
    return web.redirect(f"{PAGE}?done=profile")


@router.post(PAGE + "/password")
async def change_password(web: Web) -> Response:
    form = await web.form()
    try:
        if form.get("new_password", "") != form.get("confirm_password", ""):
            raise InvalidInput("The two new passwords differ.", field="confirm_password")
        async with web.transaction() as (session, actor):
            await check_change_password(session, actor, current=form.get("current_password", ""),
                                        new=form.get("new_password", ""),
                                        keep_session=web.request.cookies.get(SESSION_COOKIE), guard=web.guard)
    except (InvalidInput, RateLimited) as error:
        return await _refused(web, "password", error, form)
    return web.redirect(f"{PAGE}?done=password")


@router.post(PAGE + "/tokens")
async def create_token(web: Web) -> Response:
    form = await web.form()
    lifetime = form.get("expires", "")
    try:
        if lifetime not in dict(TOKEN_LIFETIMES):
            raise InvalidInput("Choose when the token expires: 30, 90 or 365 days, or never.", field="expires")
        async with web.transaction() as (session, actor):
            token = await check_issue_api_token(
                session, actor, user=await access_user(session, actor, actor.user_id), name=form.get("name", ""),
                scope=None, expires_in_days=None if lifetime == "never" else int(lifetime))
    except InvalidInput as error:
        return await _refused(web, "tokens", error, form)
    return await _render(web, status_code=201, new_token=token)


@router.post(PAGE + "/tokens/{token_id}/revoke")
async def revoke_token(token_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        owner = await access_token_owner(session, actor, actor.user_id)
        await do_revoke_token(session, actor, owner=owner,
                              token_id=require_id(token_id, not_found="Token not found."))
    return web.redirect(f"{PAGE}?done=revoked")


@router.post(PAGE + "/sessions/{session_id}/end")
async def end_session(session_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        await do_end_own_session(session, actor, session_id=require_id(session_id, not_found="Session not found."))
    return web.redirect(f"{PAGE}?done=ended")


@router.post(PAGE + "/sessions/end-others")
async def end_other_sessions(web: Web) -> Response:
    async with web.transaction() as (session, actor):
        await do_end_user_sessions(session, organization_id=actor.organization_id, user_id=actor.user_id,
                                   keep_secret=web.request.cookies.get(SESSION_COOKIE))
    return web.redirect(f"{PAGE}?done=others")


def _store(web: Web) -> AvatarStore:
    return web.request.app.state.object_store  # type: ignore[no-any-return]


@router.post(PAGE + "/avatar")
async def upload_avatar(web: Web) -> Response:
    """The picture is read up to one byte past the limit: enough to refuse a larger one."""
    upload = (await web.request.form()).get("avatar")
    data = await upload.read(AVATAR_MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        async with web.transaction() as (session, actor):
            me = await access_user(session, actor, actor.user_id)
            await check_set_avatar(session, _store(web), user=me, data=data)
    except InvalidInput as error:
        return await _refused(web, "avatar", error, {})
    return web.redirect(f"{PAGE}?done=avatar")


@router.post(PAGE + "/avatar/remove")
async def remove_avatar(web: Web) -> Response:
    async with web.transaction() as (session, actor):
        await do_remove_avatar(session, _store(web), user=await access_user(session, actor, actor.user_id))
    return web.redirect(f"{PAGE}?done=avatar-removed")


async def _avatar(web: Web, user_id: str, version: str | None) -> Response:
    """The uploaded picture (with its own content type), or the initials when there is none; only
    for users of the visitor's organization (anyone else's is Not found)."""
    async with web.transaction() as (session, actor):
        user = await access_user(session, actor, require_id(user_id, not_found="User not found."))
        stored = stored_avatar(user)
        name, current = user.display_name, user.avatar_url or ""
    if version is not None and not current.endswith("/" + version):
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    cache = IMMUTABLE if version else "private, no-cache"
    if stored is None:
        etag = '"i-' + hashlib.sha256(name.encode()).hexdigest()[:16] + '"'
    else:
        etag = f'"{stored[0].rsplit("-", 1)[-1]}"'
    if web.request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache})
    if stored is None:
        return Response(initials_svg(name), media_type="image/svg+xml", headers={"ETag": etag, "Cache-Control": cache})
    return Response(await _store(web).get(stored[0]), media_type=stored[1],
                    headers={"ETag": etag, "Cache-Control": cache})


@images.get("/users/{user_id}/avatar")
async def current_avatar(user_id: str, web: Web) -> Response:
    return await _avatar(web, user_id, None)


@images.get("/users/{user_id}/avatar/{version}")
async def avatar_version(user_id: str, version: str, web: Web) -> Response:
    return await _avatar(web, user_id, version)


router.include_router(images)
