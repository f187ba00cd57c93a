"""The Slack sender: for a batch, one read transaction finds each delivery's webhook URL
(decrypted) and renders its message; the posts then go out concurrently through the one outbound
HTTP client (connection reuse, timeouts, the private-address guard, a capped response read).

Slack's answers: 2xx is delivered; 404 (`no_service`), 410 (`channel_is_archived`), 403
(`invalid_token`, `action_prohibited`) and 400 (`invalid_payload`) are permanent: the same post
would get the same answer; 429 is retried no sooner than its Retry-After; 5xx and network errors
are retried with backoff. A URL whose address the guard refuses is permanent too."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, OneAtATime, Outcome
from tessera.delivery.outbound_http import OutboundClient, OutboundError, OutboundRefused, outbound_client
from tessera.notifications.render import load_notifications
from tessera.notifications.slack.blocks import slack_message
from tessera.notifications.slack.service import load_webhook_urls
from tessera.notifications.still_permitted import send_still_permitted

log = logging.getLogger("tessera.notifications.slack")
SNIPPET_BYTES = 500
_PERMANENT = frozenset({400, 403, 404, 410})

Prepared = tuple[str, dict[str, Any]] | Outcome


class SlackSender:
    """Registered for Channel.SLACK. A delivery with a `recipient_id` goes to that user's webhook;
    one without (a project channel's batch) to its payload's `project_id`'s webhook."""

    def __init__(self, settings: Settings, database: Database, *, client: OutboundClient | None = None) -> None:
        self.settings = settings
        self.database = database
        self.client = client or outbound_client(allow_private=settings.outbound_allow_private)
        self.concurrency = settings.delivery_concurrency

    async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        return await send_still_permitted(self.database, deliveries, self._send_all)

    async def _send_all(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        prepared = dict(zip((d.id for d in deliveries), await self._prepare(deliveries), strict=True))

        async def post(delivery: ClaimedDelivery) -> Outcome:
            ready = prepared[delivery.id]
            return ready if isinstance(ready, Outcome) else await self._post(*ready)

        return await OneAtATime(post, concurrency=self.concurrency).send_batch(deliveries)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _prepare(self, deliveries: Sequence[ClaimedDelivery]) -> list[Prepared]:
        by_org: dict[int, list[int]] = {}
        for index, delivery in enumerate(deliveries):
            by_org.setdefault(delivery.organization_id, []).append(index)
        prepared: list[Prepared] = [Outcome.failed("not prepared", retry=False)] * len(deliveries)
        async with self.database.unit_of_work(write=False) as session:
            for organization_id, indexes in by_org.items():
                payloads = [deliveries[i].payload for i in indexes]
                urls = await load_webhook_urls(
                    session, self.settings, organization_id,
                    user_ids=[int(p["recipient_id"]) for p in payloads if p.get("recipient_id")],
                    project_ids=[int(p["project_id"]) for p in payloads
                                 if not p.get("recipient_id") and p.get("project_id")])
                rendered = await load_notifications(session, organization_id=organization_id, payloads=payloads,
                                                    base_url=self.settings.base_url)
                for index, payload, notification in zip(indexes, payloads, rendered, strict=True):
                    url = (urls.by_user.get(int(payload["recipient_id"])) if payload.get("recipient_id")
                           else urls.by_project.get(int(payload.get("project_id") or 0)))
                    if url is None:
                        prepared[index] = Outcome.failed("no Slack webhook is configured any more", retry=False)
                        continue
                    try:
                        prepared[index] = (url, slack_message(notification))
                    except Exception as error:  # noqa: BLE001 - one bad payload fails itself only
                        log.exception("slack delivery %s could not be rendered", deliveries[index].id)
                        prepared[index] = Outcome.failed(f"rendering failed: {error}", retry=False)
        return prepared

    async def _post(self, url: str, body: dict[str, Any]) -> Outcome:
        try:
            response = await self.client.post(url, content=json.dumps(body).encode(),
                                              headers={"Content-Type": "application/json"})
        except OutboundRefused as error:  # the address will not change on a retry
            return Outcome.failed(error.message[:500], retry=False)
        except OutboundError as error:
            return Outcome.failed(error.message[:500])
        snippet = response.text[:SNIPPET_BYTES]
        status = response.status_code
        if 200 <= status < 300:
            return Outcome.delivered(status, snippet)
        if status == 429:
            return Outcome.failed("rate limited by Slack", status_code=status, response_snippet=snippet,
                                  retry_after_seconds=response.retry_after_seconds())
        return Outcome.failed(f"Slack answered {status}", status_code=status, response_snippet=snippet,
                              retry=status not in _PERMANENT)

