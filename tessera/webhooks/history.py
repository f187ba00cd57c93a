"""A webhook's deliveries as its admin reads them (newest first, each with its attempts:
status code, duration, the start of the response), and the "send test" action."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.delivery.engine import NewDelivery, enqueue
from tessera.delivery.models import Channel, Delivery, DeliveryAttempt
from tessera.jira_format.shapes import Links, user_json
from tessera.tenancy.actor import Actor
from tessera.tenancy.service import users_by_id
from tessera.webhooks.fanout import delivery_payload
from tessera.webhooks.models import Webhook
from tessera.webhooks.service import check_admin

TEST_EVENT = "webhook_test"


@dataclass(frozen=True)
class DeliveryRecord:
    delivery: Delivery
    attempts: list[DeliveryAttempt]


async def list_deliveries(session: AsyncSession, actor: Actor, webhook: Webhook, *, start_at: int = 0,
                          max_results: int = 50) -> list[DeliveryRecord]:
    check_admin(actor)
    deliveries = (await session.scalars(
        select(Delivery).where(Delivery.organization_id == actor.organization_id,
                               Delivery.channel == Channel.WEBHOOK.value, Delivery.target_id == webhook.id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc()).offset(start_at).limit(max_results))).all()
    attempts: dict[int, list[DeliveryAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in (await session.scalars(
                select(DeliveryAttempt).where(DeliveryAttempt.organization_id == actor.organization_id,
                                              DeliveryAttempt.delivery_id.in_(list(attempts)))
                .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number))).all():
            attempts[attempt.delivery_id].append(attempt)
    return [DeliveryRecord(d, attempts[d.id]) for d in deliveries]


async def do_enqueue_test(session: AsyncSession, *, actor: Actor, webhook: Webhook, links: Links) -> Delivery:
    """A delivery of a small Jira-shaped body (`webhookEvent: webhook_test`), sent even while the
    webhook is disabled (to try a receiver before enabling it again); it does not count towards
    disabling it."""
    check_admin(actor)
    me = (await users_by_id(session, actor.organization_id, {actor.user_id})).get(actor.user_id)
    body: dict[str, Any] = {"timestamp": int(datetime.now(UTC).timestamp() * 1000), "webhookEvent": TEST_EVENT,
                            "user": user_json(links, me), "webhook": {"id": webhook.id, "name": webhook.name}}
    key = f"wh:{webhook.id}:test:{uuid.uuid4().hex}"
    await enqueue(session, [NewDelivery(
        organization_id=actor.organization_id, channel=Channel.WEBHOOK, target=webhook.url, target_id=webhook.id,
        idempotency_key=key, event_type=TEST_EVENT,
        payload={**delivery_payload(webhook.url, TEST_EVENT, None if webhook.exclude_body else body), "test": True})])
    return (await session.scalars(select(Delivery).where(Delivery.idempotency_key == key))).one()
