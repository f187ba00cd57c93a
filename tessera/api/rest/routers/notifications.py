"""/v2/notifications (the signed-in user's inbox and preferences), one-click unsubscribe,
/v2/issues/{id}/mute and /v2/projects/{id}/notification-scheme."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.notifications import (
    MuteOut,
    NotificationSchemeOut,
    NotificationsOut,
    PreferencesOut,
    ReadAllOut,
    UnreadOut,
    UnsubscribeOut,
)
from tessera.api.rest.schemas import NotificationPreferencesBody, NotificationSchemeBody, StoredId
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput
from tessera.issues.service import access_issue
from tessera.notifications.inbox import do_mark_all_read, do_mark_read, inbox_view, unread_count
from tessera.notifications.preferences import check_update_preferences, do_mute, is_muted, preferences_view
from tessera.notifications.schemes import check_set_scheme, scheme_view
from tessera.notifications.unsubscribe import access_unsubscription, do_unsubscribe
from tessera.projects.service import access_project
from tessera.tenancy.permissions import Permission

router = APIRouter(prefix="/v2", tags=["notifications"])
Ctx = Annotated[RequestContext, Depends(request_context)]
Token = Annotated[str, Query(min_length=1, max_length=2000, description="The signed token of the link.")]


@router.get("/notifications", responses=ok(NotificationsOut))
async def get_notifications(ctx: Ctx, unread: bool = False, start_at: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                            max_results: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    """Your inbox, newest first; `unread=true` for unread entries only."""
    async with ctx.transaction(write=False) as (session, actor):
        return await inbox_view(session, actor=actor, unread_only=unread, start_at=start_at, max_results=max_results)


@router.post("/notifications/read-all", responses=ok(ReadAllOut))
async def read_all(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        marked = await do_mark_all_read(session, organization_id=actor.organization_id, user_id=actor.user_id)
        return {"marked": marked, "unread": await unread_count(session, organization_id=actor.organization_id,
                                                               user_id=actor.user_id)}


@router.post("/notifications/{notification_id}/read", responses=ok(UnreadOut))
async def read_one(notification_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return {"unread": await do_mark_read(session, organization_id=actor.organization_id, user_id=actor.user_id,
                                             notification_id=notification_id)}


@router.get("/notifications/preferences", responses=ok(PreferencesOut))
async def get_preferences(ctx: Ctx) -> dict:
    async with ctx.transaction(write=False) as (session, actor):
        return await preferences_view(session, organization_id=actor.organization_id, user_id=actor.user_id)


@router.put("/notifications/preferences", responses=ok(PreferencesOut))
async def put_preferences(body: NotificationPreferencesBody, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return await check_update_preferences(session, organization_id=actor.organization_id,
                                              user_id=actor.user_id, change=body.model_dump(exclude_unset=True))


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribe</title></head>
<body><main><h1>Unsubscribe</h1>{message}</main></body></html>"""


def _wants_html(ctx: RequestContext) -> bool:
    return "text/html" in ctx.request.headers.get("accept", "")


@router.get("/notifications/unsubscribe", responses=ok(UnsubscribeOut))
async def unsubscribe_page(token: Token, ctx: Ctx) -> object:
    """Shows what the link would do and changes nothing (mail scanners follow links); the
    button, or a mail client's RFC 8058 one-click POST, does it."""
    async with ctx.anonymous(write=False) as session:
        wish = await access_unsubscription(session, secret_key=ctx.settings.secret_key, token=token)
    if not _wants_html(ctx):
        return {"channel": wish.channel, "unsubscribed": False}
    form = (f'<p>Stop all {escape(wish.channel)} notifications?</p><form method="post" action="?token={escape(token)}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Unsubscribe</button></form>')
    return HTMLResponse(_PAGE.format(message=form))


@router.post("/notifications/unsubscribe", responses=ok(UnsubscribeOut))
async def unsubscribe(token: Token, ctx: Ctx) -> object:
    """RFC 8058 one-click: the body is `List-Unsubscribe=One-Click` (form-encoded)."""
    form = parse_qs((await ctx.request.body())[:1000].decode("utf-8", "replace"))
    if form.get("List-Unsubscribe") != ["One-Click"]:
        raise InvalidInput("Send the form field List-Unsubscribe=One-Click.", field="List-Unsubscribe")
    async with ctx.anonymous() as session:
        wish = await access_unsubscription(session, secret_key=ctx.settings.secret_key, token=token)
        await do_unsubscribe(session, wish)
    if _wants_html(ctx):
        return HTMLResponse(_PAGE.format(message=f"<p>You will get no more {escape(wish.channel)} "
                                                 "notifications. Turn them on again in your preferences.</p>"))
    return JSONResponse({"channel": wish.channel, "unsubscribed": True})


@router.put("/issues/{issue_id}/mute", responses=ok(MuteOut))
async def mute_issue(issue_id: str, ctx: Ctx) -> dict:
    """Hear nothing more about this issue, whatever the notification scheme says."""
    return await _mute(issue_id, ctx, muted=True)


@router.delete("/issues/{issue_id}/mute", responses=ok(MuteOut))
async def unmute_issue(issue_id: str, ctx: Ctx) -> dict:
    return await _mute(issue_id, ctx, muted=False)


async def _mute(issue_id: str, ctx: Ctx, *, muted: bool) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_id)
        await do_mute(session, organization_id=actor.organization_id, issue_id=issue.id, user_id=actor.user_id,
                      muted=muted)
        return {"issue_id": issue.id, "muted": await is_muted(session, organization_id=actor.organization_id,
                                                              issue_id=issue.id, user_id=actor.user_id)}


@router.get("/projects/{project_id}/notification-scheme", responses=ok(NotificationSchemeOut))
async def get_notification_scheme(project_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction(write=False) as (session, actor):
        project = await access_project(session, actor, project_id, Permission.ADMINISTER_PROJECTS)
        return await scheme_view(session, project=project)


@router.put("/projects/{project_id}/notification-scheme", responses=ok(NotificationSchemeOut))
async def put_notification_scheme(project_id: str, body: NotificationSchemeBody, ctx: Ctx) -> dict:
    """Replace the project's scheme; `{"events": null}` returns it to the default."""
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id, Permission.ADMINISTER_PROJECTS)
        await check_set_scheme(session, project=project, events=body.events)
        return await scheme_view(session, project=project)
