"""Deliveries in the browser, for organization administrators (the same check as /v2/deliveries):
the organization's outgoing messages filtered by state, channel, target and event, newest first
a page at a time (the queries' keyset cursor), and one delivery with its attempts and a Retry
button. Another organization's delivery is a 404 page, as one that does not exist."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import require_id
from tessera.delivery.models import Channel, Delivery, DeliveryState
from tessera.delivery.operations import check_retry_delivery
from tessera.delivery.queries import access_delivery, attempts_of, check_filter, check_operator, list_deliveries
from tessera.delivery.views import delivery_view, detail_view
from tessera.errors import InvalidInput
from tessera.tenancy.models import User
from tessera.tenancy.service import users_by_id
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
NOT_FOUND = "No delivery has that id."


async def _recipients(session: AsyncSession, organization_id: int, deliveries: list[Delivery]) -> dict[int, User]:
    """The people that notification deliveries go to (their target_id; a webhook's is the webhook's)."""
    return await users_by_id(session, organization_id, {d.target_id for d in deliveries
                                                        if d.channel != Channel.WEBHOOK and d.target_id is not None})


@router.get("/admin/deliveries")
async def deliveries_page(web: Web, state: str = "", channel: str = "", target: str = "", event: str = "",
                          cursor: str = "") -> Response:
    """A filter the queries refuse shows the page again with the message, status 400."""
    shown = {"state": state, "channel": channel, "target": target, "event": event}
    async with web.transaction(write=False) as (session, actor):
        organization_id = check_operator(actor)
        try:
            where = check_filter(states=[state] if state else [], channels=[channel] if channel else [],
                                 target=target or None, event_type=event or None)
            page = await list_deliveries(session, organization_id=organization_id, where=where, limit=PAGE_SIZE,
                                         cursor=cursor or None)
            people = await _recipients(session, organization_id, page.deliveries)
        except InvalidInput as error:
            return web.render("deliveries.html", status_code=error.status, deliveries=[], next_cursor=None,
                              filters=shown, error=error.message, states=list(DeliveryState),
                              channels=list(Channel), nav="deliveries")
    return web.render("deliveries.html", deliveries=[delivery_view(d) for d in page.deliveries], people=people, next_cursor=page.next_cursor, filters=shown,
                      paged=bool(cursor), error=None, states=list(DeliveryState), channels=list(Channel),
                      nav="deliveries")


@router.get("/admin/deliveries/{delivery_id}")
async def delivery_page(delivery_id: str, web: Web) -> Response:
    async with web.transaction(write=False) as (session, actor):
        delivery = await access_delivery(session, organization_id=check_operator(actor),
                                         delivery_id=require_id(delivery_id, not_found=NOT_FOUND))
        shown = detail_view(delivery, await attempts_of(session, delivery))
        people = await _recipients(session, delivery.organization_id, [delivery])
    return web.render("delivery.html", delivery=shown, people=people, nav="deliveries")


@router.post("/admin/deliveries/{delivery_id}/retry")
async def retry(delivery_id: str, web: Web) -> Response:
    """`force` (a form field) sends a delivered one again; without it a delivered one is refused."""
    form = await web.form()
    async with web.transaction() as (session, actor):
        delivery = await access_delivery(session, organization_id=check_operator(actor),
                                         delivery_id=require_id(delivery_id, not_found=NOT_FOUND))
        await check_retry_delivery(session, delivery=delivery, force=form.get("force") == "1")
        shown_id = delivery.id
    return web.redirect(f"/admin/deliveries/{shown_id}")
