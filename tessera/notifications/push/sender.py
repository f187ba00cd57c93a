"""The push channel's sender: each delivery (one recipient) goes to every browser the recipient
subscribed, encrypted for that browser (RFC 8291, aes128gcm, through pywebpush's WebPusher) and
signed with the server's VAPID key (RFC 8292), posted through the one outbound HTTP client (push
services are on the public internet, so the SSRF guard applies like for any receiver).

Per browser: 2xx accepted; 404/410 the subscription is gone (deleted, never retried); 429 and
5xx and network errors are transient; other 4xx (bad key, too large) permanent for that browser.
Per delivery: delivered when any browser accepted it (the person was reached; retrying would show
it twice on the others), retried when none did and something was transient, dead otherwise (no
browser left). A retry reaches the same browsers again; the notification's tag makes a repeat
replace the one on screen instead of adding a second."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pywebpush import WebPusher

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, Outcome
from tessera.delivery.outbound_http import OutboundClient, OutboundError, OutboundRefused, outbound_client
from tessera.notifications.locale import DEFAULT_LANGUAGE, translations
from tessera.notifications.preferences import languages_of
from tessera.notifications.push.message import load_names, push_message
from tessera.notifications.push.models import PushSubscription
from tessera.notifications.push.subscriptions import do_record_results, subscriptions_of
from tessera.notifications.push.vapid import VapidSigner, b64url
from tessera.notifications.still_permitted import send_still_permitted

log = logging.getLogger("tessera.push")
TTL_SECONDS = 24 * 3600  # how long a push service keeps a message for a browser that is offline
GONE = (404, 410)


@dataclass(frozen=True)
class BrowserResult:
    subscription_id: int
    ok: bool
    status_code: int | None = None
    error: str | None = None
    transient: bool = False
    retry_after: float | None = None


def _topic(idempotency_key: str) -> str:
    """RFC 8030 Topic (at most 32 base64url characters): a message still queued at the push
    service is replaced by a repeat of the same delivery."""
    return b64url(hashlib.sha256(idempotency_key.encode()).digest())[:32]


class PushSender:
    def __init__(self, database: Database, settings: Settings, signer: VapidSigner, *,
                 client: OutboundClient | None = None, concurrency: int = 64) -> None:
        self.database = database
        self.base_url = settings.base_url
        self.signer = signer
        self._client = client or outbound_client(allow_private=settings.outbound_allow_private)
        self._limit = asyncio.Semaphore(concurrency)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        return await send_still_permitted(self.database, deliveries, self._send_all)

    async def _send_all(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        browsers: dict[int, list[PushSubscription]] = {}
        texts: dict[int, bytes] = {}
        async with self.database.unit_of_work(write=False) as session:
            for organization_id in {d.organization_id for d in deliveries}:
                mine = [d for d in deliveries if d.organization_id == organization_id]
                recipients = {d.id: self._recipient(d) for d in mine}
                found = await subscriptions_of(session, organization_id,
                                               [r for r in recipients.values() if r is not None])
                summaries, names = await load_names(session, organization_id, [d.payload for d in mine])
                languages = await languages_of(session, organization_id=organization_id,
                                               user_ids=[r for r in recipients.values() if r is not None])
                for delivery in mine:
                    recipient = recipients[delivery.id]
                    browsers[delivery.id] = found.get(recipient, []) if recipient is not None else []
                    tag = str(delivery.payload.get("issue_key") or delivery.payload.get("kind") or "tessera")
                    catalog = translations(languages.get(recipient, DEFAULT_LANGUAGE)
                                           if recipient is not None else DEFAULT_LANGUAGE)
                    message = push_message(delivery.payload, summaries=summaries, names=names,
                                           base_url=self.base_url, tag=tag, catalog=catalog)
                    texts[delivery.id] = json.dumps(message, separators=(",", ":")).encode()
        results = await asyncio.gather(*(
            asyncio.gather(*(self._send(subscription, texts[d.id], d.idempotency_key)
                             for subscription in browsers[d.id])) for d in deliveries))
        flat = [result for group in results for result in group]
        succeeded = [r.subscription_id for r in flat if r.ok]
        gone = [r.subscription_id for r in flat if r.status_code in GONE]
        if succeeded or gone:
            async with self.database.unit_of_work() as session:
                await do_record_results(session, succeeded=succeeded, gone=gone)
        return [self._outcome(group) for group in results]

    @staticmethod
    def _recipient(delivery: ClaimedDelivery) -> int | None:
        recipient = delivery.payload.get("recipient_id", delivery.target_id)
        return recipient if isinstance(recipient, int) else None

    @staticmethod
    def _outcome(group: Sequence[BrowserResult]) -> Outcome:
        if not group:
            return Outcome.failed("The recipient has no push subscription.", retry=False)
        accepted = [r for r in group if r.ok]
        if accepted:
            failed = len(group) - len(accepted)
            return Outcome.delivered(accepted[0].status_code,
                                     f"{len(accepted)} of {len(group)} browsers accepted" if failed else None)
        errors = "; ".join(sorted({r.error or "" for r in group}))[:500]
        transient = [r for r in group if r.transient]
        last_status = group[-1].status_code
        if transient:
            waits = [r.retry_after for r in transient if r.retry_after is not None]
            return Outcome.failed(errors, status_code=last_status, retry_after_seconds=max(waits) if waits else None)
        return Outcome.failed(errors, status_code=last_status, retry=False)

    async def _send(self, subscription: PushSubscription, text: bytes, idempotency_key: str) -> BrowserResult:
        sid = subscription.id
        async with self._limit:
            try:
                pusher = WebPusher({"endpoint": subscription.endpoint,
                                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}})
                body = pusher.encode(text, content_encoding="aes128gcm")["body"]
            except Exception as error:  # noqa: BLE001 - keys the browser gave that do not work
                return BrowserResult(sid, ok=False, error=f"cannot encrypt for this browser: {error}")
            headers = {"Authorization": self.signer.authorization(subscription.endpoint),
                       "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
                       "TTL": str(TTL_SECONDS), "Urgency": "normal", "Topic": _topic(idempotency_key)}
            try:
                reply = await self._client.post(subscription.endpoint, content=body, headers=headers)
            except OutboundRefused as error:  # final: the address will not change on a retry
                return BrowserResult(sid, ok=False, error=error.message)
            except OutboundError as error:
                return BrowserResult(sid, ok=False, error=error.message, transient=True)
        snippet = reply.text[:300]
        status = reply.status_code
        if 200 <= status < 300:
            return BrowserResult(sid, ok=True, status_code=status)
        error = f"push service answered {status}: {snippet[:200]}".rstrip(": ")
        if status in GONE:
            return BrowserResult(sid, ok=False, status_code=status, error="subscription gone; removed")
        transient = status == 429 or status >= 500
        return BrowserResult(sid, ok=False, status_code=status, error=error, transient=transient,
                             retry_after=reply.retry_after_seconds())
