"""A webhook that keeps failing is turned off, and its owner told (WebhookDisabled, which the
notifications consume). Runs in the transaction that settles each delivery."""

from __future__ import annotations

from collections.abc import Container

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.delivery.engine import ClaimedDelivery, Outcome
from tessera.delivery.models import DeliveryState
from tessera.events.outbox import emit
from tessera.events.types import WebhookDisabled
from tessera.webhooks.models import Webhook

# Dead deliveries in a row (each already retried up to the attempt limit, hours of backoff)
# after which the receiver is taken to be gone: GitHub and Jira Cloud also stop at a handful.
DISABLE_AFTER_DEAD = 5


async def count_settled(session: AsyncSession, delivery: ClaimedDelivery, state: str, outcome: Outcome, *,
                        healthy: Container[int] = ()) -> None:
    """A delivered one resets the count; a dead one adds to it. Test deliveries do not count,
    nor do deliveries of a webhook already disabled or deleted (they were never sent).
    `healthy`: webhooks the sender saw with no failure counted when it loaded them; a success
    of theirs needs no statement (most settle this way: one round trip less per delivery)."""
    if delivery.target_id is None or delivery.payload.get("test"):
        return
    scope = (Webhook.id == delivery.target_id, Webhook.organization_id == delivery.organization_id)
    if state == DeliveryState.DELIVERED:
        if delivery.target_id in healthy:
            return
        await session.execute(update(Webhook).where(*scope, Webhook.consecutive_failures != 0)
                              .values(consecutive_failures=0).execution_options(synchronize_session=False))
        return
    if state != DeliveryState.DEAD:
        return
    counted = (await session.execute(
        update(Webhook).where(*scope, Webhook.enabled.is_(True))
        .values(consecutive_failures=Webhook.consecutive_failures + 1)
        .returning(Webhook.consecutive_failures, Webhook.owner_id, Webhook.name, Webhook.url)
        .execution_options(synchronize_session=False))).first()
    if counted is None or counted[0] < DISABLE_AFTER_DEAD:
        return
    failures, owner_id, name, url = counted
    reason = (f"Disabled after {failures} deliveries in a row failed; the last: "
              f"{outcome.error or outcome.status_code}")[:1000]
    disabled = await session.execute(
        update(Webhook).where(*scope, Webhook.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, disabled_at=utcnow(), version=Webhook.version + 1,
                updated_at=utcnow()).execution_options(synchronize_session=False))
    if disabled.rowcount == 1:  # type: ignore[attr-defined]
        await emit(session, WebhookDisabled(webhook_id=delivery.target_id, owner_id=owner_id, webhook_name=name,
                                            url=url, reason=reason),
                   organization_id=delivery.organization_id, aggregate_id=delivery.target_id, actor_id=None)
