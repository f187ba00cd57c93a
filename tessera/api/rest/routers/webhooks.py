"""/v2/webhooks: an organization admin's outgoing webhooks, their "send test" action and their
delivery history. The domain (tessera.webhooks) checks and does everything; this translates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field, StringConstraints

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.webhooks import WebhookDeliveriesOut, WebhookDeliveryOut, WebhookListOut, WebhookOut
from tessera.api.rest.schemas import Body, Name, StoredId
from tessera.crypto.secret_box import SecretBox
from tessera.edge.context import RequestContext, request_context
from tessera.issues.views import iso
from tessera.jira_format.shapes import Links
from tessera.webhooks.history import DeliveryRecord, do_enqueue_test, list_deliveries
from tessera.webhooks.models import Webhook
from tessera.webhooks.service import (
    WebhookSpec,
    access_webhook,
    check_create_webhook,
    check_update_webhook,
    do_delete_webhook,
    list_webhooks,
)

router = APIRouter(prefix="/v2", tags=["webhooks"])
Ctx = Annotated[RequestContext, Depends(request_context)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Events = Annotated[list[Annotated[str, StringConstraints(max_length=100)]], Field(max_length=200)]
Jql = Annotated[str, StringConstraints(max_length=20_000)]
Secret = Annotated[str, StringConstraints(max_length=255)]


class WebhookCreate(Body):
    name: Name
    url: Url
    events: Events
    jql: Jql = ""
    enabled: bool = True
    exclude_body: bool = False
    # Generated (and answered once) when not given.
    secret: Secret | None = None


class WebhookReplace(WebhookCreate):
    """PUT: every field as on create; a missing secret keeps the stored one."""

    version: int | None = None


class WebhookPatch(Body):
    name: Name | None = None
    url: Url | None = None
    events: Events | None = None
    jql: Jql | None = None
    enabled: bool | None = None
    exclude_body: bool | None = None
    secret: Secret | None = None
    version: int | None = None


def webhook_view(webhook: Webhook, secret: str | None = None) -> dict[str, Any]:
    """`secret` only in the answer to the create (shown once); later only whether one is set."""
    shown = {"id": webhook.id, "name": webhook.name, "url": webhook.url, "events": list(webhook.events),
             "jql": webhook.jql, "enabled": webhook.enabled, "exclude_body": webhook.exclude_body,
             "signing_key_set": bool(webhook.secret_encrypted), "owner_id": webhook.owner_id,
             "consecutive_failures": webhook.consecutive_failures, "disabled_reason": webhook.disabled_reason,
             "disabled_at": iso(webhook.disabled_at), "version": webhook.version,
             "created": iso(webhook.created_at), "updated": iso(webhook.updated_at)}
    if secret is not None:
        shown["secret"] = secret
    return shown


def delivery_view(record: DeliveryRecord) -> dict[str, Any]:
    d = record.delivery
    return {"id": d.id, "idempotency_key": d.idempotency_key, "event_type": d.event_type, "event_id": d.event_id,
            "webhook_event": (d.payload or {}).get("webhookEvent"), "state": d.state, "attempts": d.attempts,
            "last_status": d.last_status, "last_error": d.last_error, "last_duration_ms": d.last_duration_ms,
            "created": iso(d.created_at), "delivered": iso(d.delivered_at),
            "history": [{"number": a.number, "started": iso(a.started_at), "duration_ms": a.duration_ms, "ok": a.ok,
                         "status_code": a.status_code, "error": a.error, "response_snippet": a.response_snippet}
                        for a in record.attempts]}


def _spec(body: Body) -> WebhookSpec:
    return WebhookSpec(**body.model_dump(exclude={"version"}))


@router.get("/webhooks", responses=ok(WebhookListOut))
async def get_webhooks(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return {"webhooks": [webhook_view(w) for w in await list_webhooks(session, actor)]}


@router.post("/webhooks", status_code=201, responses=ok(WebhookOut, 201))
async def create_webhook(body: WebhookCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        registered = await check_create_webhook(session, actor=actor, spec=_spec(body),
                                                box=SecretBox.from_settings(ctx.settings),
                                                allow_private=ctx.settings.outbound_allow_private)
        return webhook_view(registered.webhook, registered.secret)


@router.get("/webhooks/{webhook_id}", responses=ok(WebhookOut))
async def get_webhook(webhook_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return webhook_view(await access_webhook(session, actor, webhook_id))


async def _update(webhook_id: int, ctx: RequestContext, spec: WebhookSpec, version: int | None) -> dict:
    async with ctx.transaction() as (session, actor):
        webhook = await access_webhook(session, actor, webhook_id)
        await check_update_webhook(session, actor=actor, webhook=webhook, spec=spec, version=version,
                                   box=SecretBox.from_settings(ctx.settings),
                                   allow_private=ctx.settings.outbound_allow_private)
        return webhook_view(webhook)


@router.put("/webhooks/{webhook_id}", responses=ok(WebhookOut))
async def replace_webhook(webhook_id: StoredId, body: WebhookReplace, ctx: Ctx) -> dict:
    return await _update(webhook_id, ctx, _spec(body), body.version)


@router.patch("/webhooks/{webhook_id}", responses=ok(WebhookOut))
async def patch_webhook(webhook_id: StoredId, body: WebhookPatch, ctx: Ctx) -> dict:
    return await _update(webhook_id, ctx, _spec(body), body.version)


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await do_delete_webhook(session, actor=actor, webhook=await access_webhook(session, actor, webhook_id))
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/test", status_code=202, responses=ok(WebhookDeliveryOut, 202))
async def test_webhook(webhook_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction(write=True) as (session, actor):
        webhook = await access_webhook(session, actor, webhook_id)
        delivery = await do_enqueue_test(session, actor=actor, webhook=webhook, links=Links(ctx.settings.base_url))
        return delivery_view(DeliveryRecord(delivery, []))


@router.get("/webhooks/{webhook_id}/deliveries", responses=ok(WebhookDeliveriesOut))
async def get_webhook_deliveries(webhook_id: StoredId, ctx: Ctx,
                                 start_at: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                                 max_results: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    async with ctx.transaction() as (session, actor):
        webhook = await access_webhook(session, actor, webhook_id)
        records = await list_deliveries(session, actor, webhook, start_at=start_at, max_results=max_results)
        return {"start_at": start_at, "max_results": max_results, "deliveries": [delivery_view(r) for r in records]}
