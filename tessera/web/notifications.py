"""The notification pages: /notifications (the signed-in user's inbox, filled by bell.js from
/v2/notifications, the same source as the bell's dropdown) and /sw.js, the Web Push service
worker, served from the site's root so that its scope covers every page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.web.templating import TEMPLATES

router = APIRouter(route_class=WebRoute)
scripts = APIRouter()  # not a page: no page error handling, no page headers
SERVICE_WORKER = TEMPLATES.parent / "static" / "sw.js"


@router.get("/notifications")
async def notifications_page(web: Web) -> Response:
    async with web.transaction():  # signed in, or sent to the sign-in page
        pass
    return web.render("notifications.html", nav="notifications")


@scripts.get("/sw.js")
async def service_worker() -> Response:
    """No-cache, so a changed worker reaches browsers at once (they also re-check it daily)."""
    return FileResponse(SERVICE_WORKER, media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


router.include_router(scripts)
