"""The outbox handler that turns an event into webhook deliveries.

For each enabled webhook of the event's organization subscribed to its Jira name: the owner's
sight decides (issue events: the JQL filter, run as the owner and narrowed to the issue as it
is after the change; other events: the owner may browse the project), the body is rendered in
Jira's shape now (so a later change to the issue does not alter what this event said) and
enqueued with the idempotency key `wh:<webhook id>:<event id>`: a handler run again after a
crash adds nothing."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import NewDelivery, enqueue
from tessera.delivery.models import Channel
from tessera.events.models import OutboxEvent
from tessera.events.types import DomainEvent, IssueDeleted, IssueEvent
from tessera.jira_format.shapes import Links
from tessera.tenancy.actor import Actor
from tessera.webhooks.models import Webhook
from tessera.webhooks.owners import issue_matches, may_browse_project, owner_actor
from tessera.webhooks.payloads import Rendered, render_issue_event, render_other_event, webhook_events_of

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")


def fill_url(url: str, variables: dict[str, str]) -> str:
    """`${issue.key}` and the like, URL-encoded; an unknown or unfilled one stays as written (§4.1)."""
    return _VARIABLE.sub(lambda m: quote(variables[m[1]], safe="") if variables.get(m[1]) else m[0], url)


def delivery_payload(url: str, webhook_event: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """What a webhook delivery stores: where to POST and what (None: an empty body, `excludeBody`)."""
    return {"url": url, "webhookEvent": webhook_event, "body": body}


class WebhookFanOut:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.links = Links(settings.base_url.rstrip("/"))

    async def __call__(self, event: OutboxEvent) -> None:
        names = webhook_events_of(event.event_class)
        if not names:
            return
        # Most events reach no webhook: a read transaction finds that out without taking the
        # writer's lock (SQLite) for nothing.
        async with self.database.unit_of_work(write=False) as session:
            if not await self._subscribed(session, event, names):
                return
        async with self.database.unit_of_work() as session:
            chosen = await self._subscribed(session, event, names)
            if chosen:
                await enqueue(session, await self._deliveries(session, event, chosen))

    async def _subscribed(self, session: AsyncSession, event: OutboxEvent, names: tuple[str, ...]
                          ) -> list[tuple[Webhook, str]]:
        """The enabled webhooks of the event's organization with the first of `names` each hears."""
        webhooks = (await session.scalars(select(Webhook).where(
            Webhook.organization_id == event.organization_id, Webhook.enabled.is_(True))
            .order_by(Webhook.id))).all()
        return [(webhook, name) for webhook in webhooks
                if (name := next((n for n in names if n in (webhook.events or [])), None))]

    async def _deliveries(self, session: AsyncSession, event: OutboxEvent,
                          chosen: list[tuple[Webhook, str]]) -> list[NewDelivery]:
        typed = event.event
        owners: dict[int | None, Actor | None] = {}
        rendered: dict[tuple[int, str], Rendered | None] = {}
        deliveries = []
        for webhook, name in chosen:
            if webhook.owner_id not in owners:
                owners[webhook.owner_id] = await owner_actor(session, event.organization_id, webhook.owner_id)
            actor = owners[webhook.owner_id]
            if actor is None or not await self._admits(session, actor, typed, webhook):
                continue
            key = (actor.user_id, name)
            if key not in rendered:
                rendered[key] = await self._render(session, actor, event, typed, name)
            found = rendered[key]
            if found is None:
                continue
            body = None if webhook.exclude_body else found.body
            deliveries.append(NewDelivery(
                organization_id=event.organization_id, channel=Channel.WEBHOOK, target=webhook.url,
                target_id=webhook.id, idempotency_key=f"wh:{webhook.id}:{event.id}", event_id=event.id,
                event_type=event.event_type,
                payload=delivery_payload(fill_url(webhook.url, found.variables), name, body)))
        return deliveries

    async def _admits(self, session: AsyncSession, actor: Actor, typed: DomainEvent, webhook: Webhook) -> bool:
        if isinstance(typed, IssueDeleted):
            # The issue is gone: its JQL can no longer be evaluated, so only an unfiltered
            # webhook whose owner may browse the project hears of the delete.
            return not webhook.jql and await may_browse_project(session, actor, typed.project_id) is not None
        if isinstance(typed, IssueEvent):
            return await issue_matches(session, actor, typed.issue_id, webhook.jql)
        return await may_browse_project(session, actor, getattr(typed, "project_id", None)) is not None

    async def _render(self, session: AsyncSession, actor: Actor, event: OutboxEvent, typed: DomainEvent,
                      name: str) -> Rendered | None:
        if isinstance(typed, IssueEvent):
            return await render_issue_event(session, actor=actor, event=event, typed=typed, webhook_event=name,
                                            links=self.links)
        project = await may_browse_project(session, actor, getattr(typed, "project_id", None))
        return await render_other_event(session, actor=actor, event=event, typed=typed, webhook_event=name,
                                        links=self.links, project=project)
