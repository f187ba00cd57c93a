"""What the worker runs: the outbox's handlers (each consumer fans events out into deliveries)
and the channels' senders. Consumers add theirs here as they land."""

from __future__ import annotations

from functools import partial

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.events.types import DomainEvent
from tessera.webhooks.auto_disable import count_settled
from tessera.webhooks.fanout import WebhookFanOut
from tessera.webhooks.sender import WebhookSender
from tessera.workers.pipeline import Pipeline
from tessera.workers.runner import HandlerRegistry


def build_registry(settings: Settings) -> HandlerRegistry:
    return HandlerRegistry()


def build_pipeline(settings: Settings, database: Database) -> Pipeline:
    handlers = build_registry(settings)
    senders = SenderRegistry()
    # Webhooks (FR7): every event with a Jira name may reach a webhook; the fan-out skips the rest.
    handlers.register(WebhookFanOut(database, settings), DomainEvent)
    webhook_sender = WebhookSender(database, settings)
    senders.register(Channel.WEBHOOK, webhook_sender)
    senders.on_settled(Channel.WEBHOOK, partial(count_settled, healthy=webhook_sender.healthy))
    return Pipeline(database, handlers, senders, RetryPolicy(max_attempts=settings.delivery_max_attempts))
