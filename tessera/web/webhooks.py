"""Webhooks in the browser, for organization admins: the list (state, events, filter, failures)
and one webhook's delivery history (each attempt's status, duration and response)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.db.refs import require_id
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.webhooks.history import list_deliveries
from tessera.webhooks.service import access_webhook, list_webhooks

router = APIRouter(route_class=WebRoute, include_in_schema=False)
SHOWN_DELIVERIES = 100


@router.get("/admin/webhooks")
async def webhooks_page(web: Web) -> Response:
    async with web.transaction() as (session, actor):
        webhooks = await list_webhooks(session, actor)
    return web.render("webhooks.html", webhooks=webhooks, nav="webhooks")


@router.get("/admin/webhooks/{webhook_id}")
async def webhook_page(webhook_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        webhook = await access_webhook(session, actor, require_id(webhook_id, not_found="Webhook not found."))
        records = await list_deliveries(session, actor, webhook, max_results=SHOWN_DELIVERIES)
    return web.render("webhook.html", webhook=webhook, records=records, nav="webhooks")
