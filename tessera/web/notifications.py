"""The notification pages: /notifications (the signed-in user's inbox: every entry, newest
first, a page at a time, all or unread only; each marked read on its own or all at once; the
list reloads itself when the bell's stream says an entry arrived, static/bell.js) and /sw.js, the
Web Push service worker, served from the site's root so that its scope covers every page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from tessera.db.refs import require_id
from tessera.notifications.inbox import do_mark_all_read, do_mark_read, inbox_view
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.web.projects import page_number
from tessera.web.templating import TEMPLATES

router = APIRouter(route_class=WebRoute)
scripts = APIRouter()  # not a page: no page error handling, no page headers
SERVICE_WORKER = TEMPLATES.parent / "static" / "sw.js"
PAGE_SIZE = 25
# What an entry says happened, by its event (as the bell says it, static/bell.js).
EVENTS = {
    "issue_created": "created the issue", "issue_updated": "updated the issue", "status_changed": "changed the status",
    "comment_added": "commented", "comment_updated": "edited a comment", "comment_deleted": "deleted a comment",
    "user_mentioned": "mentioned you", "issue_assigned": "assigned the issue", "assigned": "assigned the issue",
    "attachment_added": "added an attachment", "worklog_added": "logged work", "issue_deleted": "deleted the issue",
}


def _inbox_url(show: str, page: int) -> str:
    query = urlencode({k: v for k, v in (("show", show), ("page", str(page) if page > 1 else "")) if v})
    return "/notifications" + (f"?{query}" if query else "")


def describe(entry: dict) -> str:
    what = EVENTS.get(str(entry.get("event") or ""), str(entry.get("event") or "updated").replace("_", " "))
    who = (entry.get("actor") or {}).get("display_name")
    return f"{who} {what}" if who else what[:1].upper() + what[1:]


@router.get("/notifications")
async def notifications_page(web: Web, page: str = "1", show: str = "") -> Response:
    number = page_number(page)
    show = "unread" if show == "unread" else ""
    async with web.transaction() as (session, actor):
        inbox = await inbox_view(session, actor=actor, unread_only=bool(show), start_at=(number - 1) * PAGE_SIZE,
                                 max_results=PAGE_SIZE)
    total = inbox["total"]
    values = dict(inbox=inbox, entries=inbox["notifications"], show=show, page=number,
                  pages=max(1, -(-total // PAGE_SIZE)), describe=describe,
                  page_url=lambda target: _inbox_url(show, target), self_url=_inbox_url(show, number),
                  first=(number - 1) * PAGE_SIZE + 1 if total else 0, last=min(number * PAGE_SIZE, total),
                  nav="notifications")
    if web.is_htmx and web.request.headers.get("hx-target") == "inbox":
        return web.render("partials/inbox.html", **values)
    return web.render("notifications.html", **values)


async def _back(web: Web) -> str:
    """The inbox page the form was on (its `back` field), never anywhere else."""
    back = (await web.form()).get("back", "")
    return back if back.startswith("/notifications") and "//" not in back and "\\" not in back else "/notifications"


@router.post("/notifications/read-all")
async def mark_all_read(web: Web) -> Response:
    async with web.transaction() as (session, actor):
        await do_mark_all_read(session, organization_id=actor.organization_id, user_id=actor.user_id)
    return web.redirect(await _back(web))


@router.post("/notifications/{notification_id}/read")
async def mark_read(notification_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        await do_mark_read(session, organization_id=actor.organization_id, user_id=actor.user_id,
                           notification_id=require_id(notification_id, not_found="Notification not found."))
    return web.redirect(await _back(web))


@scripts.get("/sw.js")
async def service_worker() -> Response:
    """No-cache, so a changed worker reaches browsers at once (they also re-check it daily)."""
    return FileResponse(SERVICE_WORKER, media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


router.include_router(scripts)
