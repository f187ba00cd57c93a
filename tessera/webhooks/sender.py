"""Sending webhook deliveries: POST the stored body, signed, through the one outgoing client.

The body's bytes are serialized once and those exact bytes are signed and sent:
`X-Tessera-Signature: sha256=<hex HMAC-SHA256(body, secret)>`, with the delivery's idempotency
key in `X-Tessera-Delivery` (unchanged across retries, so a receiver drops repeats) and the
Atlassian-named headers as well, so receivers written for Jira Cloud work unchanged (§3.5)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from tessera import __version__
from tessera.config import Settings
from tessera.crypto.secret_box import SecretBox, UnreadableSecret
from tessera.db.engine import Database
from tessera.delivery.engine import SNIPPET_CHARS, ClaimedDelivery, OneAtATime, Outcome
from tessera.delivery.outbound_http import OutboundClient, OutboundError, outbound_client
from tessera.webhooks.models import Webhook

USER_AGENT = f"Tessera-Webhooks/{__version__}"
# Jira Cloud's retry set (reference §3.5); any other status is the receiver's final answer.
RETRIED_STATUSES = frozenset({408, 409, 425, 429})


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_bytes(body: object) -> bytes:
    """The exact bytes sent and signed (an excluded body is empty)."""
    if body is None:
        return b""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def outcome_of(status: int, snippet: str, retry_after: float | None) -> Outcome:
    if 200 <= status < 300:
        return Outcome.delivered(status, snippet)
    if status in RETRIED_STATUSES or status >= 500:
        return Outcome.failed(f"the receiver answered {status}", status_code=status, response_snippet=snippet,
                              retry_after_seconds=retry_after)
    # 410 Gone says "stop"; other 4xx (and 3xx left unresolved) will not change on a retry.
    return Outcome.failed(f"the receiver answered {status}", status_code=status, response_snippet=snippet,
                          retry=False)


@dataclass(frozen=True)
class _Target:
    organization_id: int
    enabled: bool
    secret: str | None


class WebhookSender:
    """The webhook channel's sender: one query for the batch's webhooks (enabled, secret), then
    each delivery POSTed concurrently (OneAtATime) over the shared keep-alive client."""

    def __init__(self, database: Database, settings: Settings, client: OutboundClient | None = None) -> None:
        self.database = database
        self.box = SecretBox.from_settings(settings)
        self.concurrency = settings.delivery_concurrency
        self.client = client or outbound_client(allow_private=settings.outbound_allow_private,
                                                max_connections=settings.delivery_concurrency)
        # Webhooks with no failure counted when last loaded (see auto_disable.count_settled).
        self.healthy: set[int] = set()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        targets = await self._targets({d.target_id for d in deliveries if d.target_id is not None})

        async def send(delivery: ClaimedDelivery) -> Outcome:
            target = targets.get(delivery.target_id or 0)
            if target is None or target.organization_id != delivery.organization_id:
                return Outcome.failed("The webhook was deleted; not sent.", retry=False)
            if not target.enabled and not delivery.payload.get("test"):
                return Outcome.failed("The webhook is disabled; not sent.", retry=False)
            if target.secret is None:
                return Outcome.failed("The webhook's secret cannot be decrypted with the server's keys.",
                                      retry=False)
            return await self.post(delivery, target.secret)

        return await OneAtATime(send, concurrency=self.concurrency).send_batch(deliveries)

    async def _targets(self, ids: set[int]) -> dict[int, _Target]:
        if not ids:
            return {}
        async with self.database.unit_of_work(write=False) as session:
            rows = (await session.execute(select(Webhook.id, Webhook.organization_id, Webhook.enabled,
                                                 Webhook.secret_encrypted, Webhook.consecutive_failures)
                                          .where(Webhook.id.in_(ids)))).all()
        found = {}
        for webhook_id, organization_id, enabled, encrypted, failures in rows:
            (self.healthy.add if failures == 0 else self.healthy.discard)(webhook_id)
            try:
                secret: str | None = self.box.decrypt(encrypted)
            except UnreadableSecret:
                secret = None
            found[webhook_id] = _Target(organization_id, enabled, secret)
        return found

    async def post(self, delivery: ClaimedDelivery, secret: str) -> Outcome:
        payload = delivery.payload
        body = body_bytes(payload.get("body"))
        signed = signature(body, secret)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-Tessera-Signature": signed, "X-Tessera-Delivery": delivery.idempotency_key,
                   "X-Tessera-Event": str(payload.get("webhookEvent", "")),
                   "X-Hub-Signature": signed, "X-Atlassian-Webhook-Identifier": delivery.idempotency_key}
        if delivery.attempts > 1:
            headers["X-Atlassian-Webhook-Retry"] = str(delivery.attempts - 1)
        try:
            response = await self.client.post(payload["url"], content=body, headers=headers)
        except OutboundError as error:  # refused addresses, redirect loops and bad URLs are final
            return Outcome.failed(error.message, retry=error.retry)
        return outcome_of(response.status_code, response.text[:SNIPPET_CHARS], response.retry_after_seconds())
