"""/v2/push: Web Push subscriptions of the signed-in user's browsers, and the server's VAPID
public key they subscribe with. The body of POST is what the browser's
`PushSubscription.toJSON()` gives: `{"endpoint", "expirationTime", "keys": {"p256dh", "auth"}}`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import StoredId
from tessera.edge.context import RequestContext, request_context
from tessera.errors import NotFound
from tessera.issues.views import iso
from tessera.notifications.push.models import PushSubscription
from tessera.notifications.push.subscriptions import (
    MAX_ENDPOINT,
    SubscriptionInput,
    check_subscribe,
    check_unsubscribe,
    list_subscriptions,
)
from tessera.notifications.push.vapid import public_key_for

router = APIRouter(prefix="/v2/push", tags=["notifications"])
Ctx = Annotated[RequestContext, Depends(request_context)]


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")  # browsers may add keys of their own
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=64)


class PushSubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=1, max_length=MAX_ENDPOINT)
    expirationTime: float | None = None  # noqa: N815 - the browser's own name
    keys: PushKeys


class PushSubscriptionOut(BaseModel):
    id: int
    endpoint: str
    created: str
    last_success: str | None


class PushSubscriptionsOut(BaseModel):
    subscriptions: list[PushSubscriptionOut]


class VapidKeyOut(BaseModel):
    public_key: str


def _view(row: PushSubscription) -> dict:
    return {"id": row.id, "endpoint": row.endpoint, "created": iso(row.created_at),
            "last_success": iso(row.last_success_at) if row.last_success_at else None}


@router.get("/vapid-public-key", responses=ok(VapidKeyOut))
async def vapid_public_key(ctx: Ctx) -> dict:
    """The applicationServerKey for `pushManager.subscribe`; 404 when Web Push is not configured."""
    async with ctx.transaction(write=False):
        key = public_key_for(ctx.settings)
    if key is None:
        raise NotFound("Web Push is not configured on this server.", code="push_not_configured")
    return {"public_key": key}


@router.get("/subscriptions", responses=ok(PushSubscriptionsOut))
async def get_subscriptions(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return {"subscriptions": [_view(row) for row in await list_subscriptions(session, actor=actor)]}


@router.post("/subscriptions", status_code=201, responses=ok(PushSubscriptionOut, 201))
async def subscribe(body: PushSubscriptionIn, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        row = await check_subscribe(session, actor=actor, allow_http=ctx.settings.outbound_allow_private,
                                    data=SubscriptionInput(endpoint=body.endpoint, p256dh=body.keys.p256dh,
                                                           auth=body.keys.auth))
        return _view(row)


@router.delete("/subscriptions", status_code=204)
async def unsubscribe_endpoint(ctx: Ctx, endpoint: Annotated[str, Query(min_length=1, max_length=MAX_ENDPOINT)]
                               ) -> Response:
    """By endpoint: what a browser knows of its own subscription."""
    async with ctx.transaction() as (session, actor):
        await check_unsubscribe(session, actor=actor, endpoint=endpoint)
    return Response(status_code=204)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def unsubscribe(subscription_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await check_unsubscribe(session, actor=actor, subscription_id=subscription_id)
    return Response(status_code=204)
