"""Jira Server's webhook registration API, `/rest/webhooks/1.0/webhook` (reference §1): the
classic body (`filters.issue-related-events-section`, `excludeBody`) and the legacy one
(`filter`/`jqlFilter`, `excludeIssueDetails`) are both read; answers are in the classic shape
with both `self` and `id`. The list is a bare array; a delete is 204; `PUT .../enabled` takes
the text `true` or `false`. A PUT replaces name, url, events and filters and keeps the enabled
state, as the Atlassian plugin does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.bodies import as_bool, json_object
from tessera.crypto.secret_box import SecretBox
from tessera.db.refs import require_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput
from tessera.tenancy.service import users_by_id
from tessera.webhooks.models import Webhook
from tessera.webhooks.service import (
    WebhookSpec,
    access_webhook,
    check_create_webhook,
    check_update_webhook,
    do_delete_webhook,
    do_set_enabled,
    list_webhooks,
)

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
FILTER_KEY = "issue-related-events-section"


def _webhook_id(value: str) -> int:
    return require_id(value, not_found="Webhook not found.")


def _jql(body: dict[str, Any]) -> object:
    filters = body.get("filters")
    if isinstance(filters, dict) and filters.get(FILTER_KEY) is not None:
        return filters[FILTER_KEY]
    if filters is not None and not isinstance(filters, dict | str):
        raise InvalidInput("'filters' is an object.", field="filters")
    for legacy in ("filter", "jqlFilter"):
        if body.get(legacy) is not None:
            return body[legacy]
    return ""


def spec_from(body: dict[str, Any], *, replace: bool) -> WebhookSpec:
    field = "excludeBody" if "excludeBody" in body else "excludeIssueDetails"
    exclude = as_bool(body.get(field), field=field)
    return WebhookSpec(name=body.get("name"), url=body.get("url"), events=body.get("events", []), jql=_jql(body),
                       exclude_body=exclude if exclude is not None else (False if replace else None),
                       enabled=None if replace else as_bool(body.get("enabled"), field="enabled"),
                       secret=body.get("secret"))


async def webhook_json(session: AsyncSession, ctx: RequestContext, webhook: Webhook,
                       secret: str | None = None) -> dict[str, Any]:
    base = ctx.settings.base_url.rstrip("/")
    owner = (await users_by_id(session, webhook.organization_id, {webhook.owner_id})).get(webhook.owner_id) \
        if webhook.owner_id else None
    shown: dict[str, Any] = {
        "name": webhook.name, "url": webhook.url, "events": list(webhook.events),
        "filters": {FILTER_KEY: webhook.jql}, "excludeBody": webhook.exclude_body, "enabled": webhook.enabled,
        "self": f"{base}/rest/webhooks/1.0/webhook/{webhook.id}", "id": webhook.id,
        "lastUpdatedUser": owner.email if owner else None,
        "lastUpdatedDisplayName": owner.display_name if owner else None,
        "lastUpdated": int(webhook.updated_at.timestamp() * 1000)}
    if secret is not None:
        shown["secret"] = secret
    return shown


@router.get("/webhook")
async def get_webhooks(ctx: Ctx) -> list[dict[str, Any]]:
    async with ctx.transaction() as (session, actor):
        return [await webhook_json(session, ctx, w) for w in await list_webhooks(session, actor)]


@router.post("/webhook", status_code=201)
async def create_webhook(request: Request, ctx: Ctx) -> JSONResponse:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        registered = await check_create_webhook(session, actor=actor, spec=spec_from(body, replace=False),
                                                box=SecretBox.from_settings(ctx.settings),
                                                allow_private=ctx.settings.outbound_allow_private)
        shown = await webhook_json(session, ctx, registered.webhook, registered.secret)
    return JSONResponse(shown, status_code=201, headers={"Location": shown["self"]})


@router.get("/webhook/{webhook_ref}")
async def get_webhook(webhook_ref: str, ctx: Ctx) -> dict[str, Any]:
    async with ctx.transaction() as (session, actor):
        return await webhook_json(session, ctx, await access_webhook(session, actor, _webhook_id(webhook_ref)))


@router.put("/webhook/{webhook_ref}")
async def replace_webhook(webhook_ref: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    body = await json_object(request)
    async with ctx.transaction() as (session, actor):
        webhook = await access_webhook(session, actor, _webhook_id(webhook_ref))
        spec = spec_from(body, replace=True)
        if spec.name is None or spec.url is None:
            raise InvalidInput("A webhook needs a name and a url.", field="name" if spec.name is None else "url")
        await check_update_webhook(session, actor=actor, webhook=webhook, spec=spec,
                                   box=SecretBox.from_settings(ctx.settings),
                                   allow_private=ctx.settings.outbound_allow_private)
        return await webhook_json(session, ctx, webhook)


@router.delete("/webhook/{webhook_ref}", status_code=204)
async def delete_webhook(webhook_ref: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await do_delete_webhook(session, actor=actor,
                                webhook=await access_webhook(session, actor, _webhook_id(webhook_ref)))
    return Response(status_code=204)


@router.put("/webhook/{webhook_ref}/enabled")
async def set_enabled(webhook_ref: str, request: Request, ctx: Ctx) -> JSONResponse:
    text = (await request.body()).decode("utf-8", "replace").strip().strip('"').lower()
    if text not in ("true", "false"):
        raise InvalidInput("The body is the text true or false.", field="enabled")
    async with ctx.transaction() as (session, actor):
        webhook = await access_webhook(session, actor, _webhook_id(webhook_ref))
        await do_set_enabled(session, actor=actor, webhook=webhook, enabled=text == "true")
        return JSONResponse(webhook.enabled)
