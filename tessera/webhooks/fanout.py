"""The outbox handler that turns an event into webhook deliveries.

For each enabled webhook of the event's organization subscribed to its Jira name: the owner's
sight decides (issue events: the JQL filter, run as the owner and narrowed to the issue as it
is after the change; other events: the owner may browse the project), the body is rendered in
Jira's shape now (so a later change to the issue does not alter what this event said) and
enqueued with the idempotency key `wh:<webhook id>:<event id>`: a handler run again after a
crash adds nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
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
from tessera.issues.models import Issue
from tessera.jira_format.shapes import Links
from tessera.tenancy.actor import Actor
from tessera.webhooks.models import Webhook
from tessera.webhooks.owners import matching_issues, may_browse_project, owner_actor
from tessera.webhooks.payloads import (
    RenderCache,
    Rendered,
    change_groups,
    render_issue_event,
    render_other_event,
    sends_webhook,
    webhook_events_of,
)

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")


def fill_url(url: str, variables: dict[str, str]) -> str:
    """`${issue.key}` and the like, URL-encoded; an unknown or unfilled one stays as written (§4.1)."""
    return _VARIABLE.sub(lambda m: quote(variables[m[1]], safe="") if variables.get(m[1]) else m[0], url)


def delivery_payload(url: str, webhook_event: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """What a webhook delivery stores: where to POST and what (None: an empty body, `excludeBody`)."""
    return {"url": url, "webhookEvent": webhook_event, "body": body}


class WebhookFanOut:
    """The outbox handler (a tessera.workers.runner.BatchHandler) of every event with a Jira name."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.links = Links(settings.base_url.rstrip("/"))

    async def __call__(self, event: OutboxEvent) -> None:
        await self.handle_batch([event])

    async def handle_batch(self, events: Sequence[OutboxEvent]) -> None:
        named = [(event, names) for event in events
                 if (names := webhook_events_of(event.event_class)) and sends_webhook(event.event)]
        if not named:
            return
        organizations = sorted({event.organization_id for event, _ in named})
        # Most events reach no webhook: a read transaction finds that out without taking the
        # writer's lock (SQLite) for nothing.
        async with self.database.unit_of_work(write=False) as session:
            if not _chosen(named, await _enabled(session, organizations)):
                return
        async with self.database.unit_of_work() as session:
            chosen = _chosen(named, await _enabled(session, organizations))
            if chosen:
                await enqueue(session, await _Batch(session, self.links).deliveries(chosen))


async def _enabled(session: AsyncSession, organizations: list[int]) -> dict[int, list[Webhook]]:
    """The enabled webhooks of these organizations, in id order, in one query."""
    found: dict[int, list[Webhook]] = {}
    for webhook in (await session.scalars(select(Webhook).where(
            Webhook.organization_id.in_(organizations), Webhook.enabled.is_(True)).order_by(Webhook.id))).all():
        found.setdefault(webhook.organization_id, []).append(webhook)
    return found


def _chosen(named: list[tuple[OutboxEvent, tuple[str, ...]]], webhooks: dict[int, list[Webhook]]
            ) -> list[tuple[OutboxEvent, list[tuple[Webhook, str]]]]:
    """Per event, its organization's webhooks with the first of its names each hears."""
    chosen = []
    for event, names in named:
        hearing = [(webhook, name) for webhook in webhooks.get(event.organization_id, ())
                   if (name := next((n for n in names if n in (webhook.events or [])), None))]
        if hearing:
            chosen.append((event, hearing))
    return chosen


class _Batch:
    """One batch's fan-out: each owner, each webhook's filter over the batch's issues, and each
    issue in Jira's shape are read once, whatever the number of events."""

    def __init__(self, session: AsyncSession, links: Links) -> None:
        self.session = session
        self.links = links
        self.owners: dict[tuple[int, int | None], Actor | None] = {}
        self.caches: dict[tuple[int, int], RenderCache] = {}
        self.matching: dict[int, dict[int, Issue]] = {}
        self.changes: dict[int, dict] = {}

    async def deliveries(self, chosen: list[tuple[OutboxEvent, list[tuple[Webhook, str]]]]) -> list[NewDelivery]:
        await self._match(chosen)
        deliveries = []
        for event, hearing in chosen:
            typed = event.event
            rendered: dict[tuple[int, str], Rendered | None] = {}
            for webhook, name in hearing:
                actor = await self._owner(event.organization_id, webhook.owner_id)
                if actor is None or not await self._admits(actor, typed, webhook):
                    continue
                key = (actor.user_id, name)
                if key not in rendered:
                    rendered[key] = await self._render(actor, event, typed, name)
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

    async def _owner(self, organization_id: int, owner_id: int | None) -> Actor | None:
        if (organization_id, owner_id) not in self.owners:
            self.owners[organization_id, owner_id] = await owner_actor(self.session, organization_id, owner_id)
        return self.owners[organization_id, owner_id]

    async def _match(self, chosen: list[tuple[OutboxEvent, list[tuple[Webhook, str]]]]) -> None:
        """Each webhook's filter, run once over the issues of the batch's events it hears, and the
        issues that matched rendered once per owner."""
        issues_of: dict[int, tuple[Webhook, set[int]]] = {}
        for event, hearing in chosen:
            typed = event.event
            if isinstance(typed, IssueEvent) and not isinstance(typed, IssueDeleted):
                for webhook, _ in hearing:
                    issues_of.setdefault(webhook.id, (webhook, set()))[1].add(typed.issue_id)
        wanted: dict[tuple[int, int], tuple[Actor, dict[int, Issue]]] = {}
        for webhook, issue_ids in issues_of.values():
            actor = await self._owner(webhook.organization_id, webhook.owner_id)
            if actor is None:
                continue
            self.matching[webhook.id] = await matching_issues(self.session, actor, issue_ids, webhook.jql or "")
            wanted.setdefault((actor.organization_id, actor.user_id), (actor, {}))[1].update(self.matching[webhook.id])
        by_organization: dict[int, list[DomainEvent]] = {}
        for event, _ in chosen:
            by_organization.setdefault(event.organization_id, []).append(event.event)
        for organization_id, typed in by_organization.items():
            self.changes[organization_id] = await change_groups(self.session, organization_id, typed)
        for actor, issues in wanted.values():
            await self._cache(actor).render_issues(self.session, actor, self.links, list(issues.values()))

    def _cache(self, actor: Actor) -> RenderCache:
        return self.caches.setdefault((actor.organization_id, actor.user_id),
                                      RenderCache(changes=self.changes.get(actor.organization_id, {})))

    async def _admits(self, actor: Actor, typed: DomainEvent, webhook: Webhook) -> bool:
        if isinstance(typed, IssueDeleted):
            # The issue is gone: its JQL can no longer be evaluated, so only an unfiltered
            # webhook whose owner may browse the project hears of the delete.
            return not webhook.jql and await may_browse_project(self.session, actor, typed.project_id) is not None
        if isinstance(typed, IssueEvent):
            return typed.issue_id in self.matching.get(webhook.id, {})
        return await may_browse_project(self.session, actor, getattr(typed, "project_id", None)) is not None

    async def _render(self, actor: Actor, event: OutboxEvent, typed: DomainEvent, name: str) -> Rendered | None:
        if isinstance(typed, IssueEvent):
            return await render_issue_event(self.session, actor=actor, event=event, typed=typed, webhook_event=name,
                                            links=self.links, cache=self._cache(actor))
        project = await may_browse_project(self.session, actor, getattr(typed, "project_id", None))
        return await render_other_event(self.session, actor=actor, event=event, typed=typed, webhook_event=name,
                                        links=self.links, project=project)
