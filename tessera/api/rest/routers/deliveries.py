"""/v2/deliveries: an organization's outgoing messages (webhook calls, mails, pushes...), their
attempts, and sending one again. For organization administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.deliveries import DeliveryDetailOut, DeliveryOut, DeliveryPageOut
from tessera.api.rest.schemas import QueryId, StoredId
from tessera.delivery.operations import check_retry_delivery
from tessera.delivery.queries import (
    MAX_PAGE,
    access_delivery,
    attempts_of,
    check_filter,
    check_operator,
    list_deliveries,
)
from tessera.delivery.views import delivery_view, detail_view
from tessera.edge.context import RequestContext, request_context

router = APIRouter(prefix="/v2", tags=["deliveries"])
Ctx = Annotated[RequestContext, Depends(request_context)]
Choices = Annotated[list[str] | None, Query(max_length=20, description="Repeat, or separate with commas.")]


@router.get("/deliveries", responses=ok(DeliveryPageOut))
async def get_deliveries(ctx: Ctx, state: Choices = None, channel: Choices = None,
                         target_id: Annotated[QueryId | None, Query(description="A webhook's or user's id.")] = None,
                         target: Annotated[str | None, Query(max_length=500,
                                                             description="Part of the target's text.")] = None,
                         event: Annotated[str | None, Query(max_length=64, description="An event type.")] = None,
                         since: Annotated[datetime | None, Query(description="Created at or after.")] = None,
                         until: Annotated[datetime | None, Query(description="Created at or before.")] = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
                         cursor: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    """Newest first, `limit` at a time; follow `next_cursor` for older ones."""
    async with ctx.transaction() as (session, actor):
        organization_id = check_operator(actor)
        where = check_filter(states=state or [], channels=channel or [], target_id=target_id, target=target,
                             event_type=event, since=since, until=until)
        page = await list_deliveries(session, organization_id=organization_id, where=where, limit=limit,
                                     cursor=cursor)
        return {"limit": limit, "next_cursor": page.next_cursor,
                "deliveries": [delivery_view(d) for d in page.deliveries]}


@router.get("/deliveries/{delivery_id}", responses=ok(DeliveryDetailOut))
async def get_delivery(delivery_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        delivery = await access_delivery(session, organization_id=check_operator(actor), delivery_id=delivery_id)
        return detail_view(delivery, await attempts_of(session, delivery))


@router.post("/deliveries/{delivery_id}/retry", responses={
    **ok(DeliveryOut), 409: {"description": "A worker is sending it now, or it was delivered (send `force=true`)."}})
async def retry_delivery(delivery_id: StoredId, ctx: Ctx,
                         force: Annotated[bool, Query(description="Send a delivered one again.")] = False) -> dict:
    """Back to pending, due now; its attempts so far are kept."""
    async with ctx.transaction() as (session, actor):
        delivery = await access_delivery(session, organization_id=check_operator(actor), delivery_id=delivery_id)
        return delivery_view(await check_retry_delivery(session, delivery=delivery, force=force))
