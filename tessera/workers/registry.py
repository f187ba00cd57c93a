"""What the worker runs: the outbox's handlers (each consumer fans events out into deliveries)
and the channels' senders. Consumers add theirs here as they land."""

from __future__ import annotations

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.notifications.email.sender import EmailSender
from tessera.notifications.slack.project_channel import PROJECT_CHANNEL_EVENTS, project_slack_handler
from tessera.notifications.slack.sender import SlackSender
from tessera.workers.pipeline import Pipeline
from tessera.workers.runner import HandlerRegistry


def build_registry(settings: Settings, database: Database | None = None) -> HandlerRegistry:
    handlers = HandlerRegistry()
    if database is not None:
        handlers.register(project_slack_handler(settings, database), *PROJECT_CHANNEL_EVENTS)
    return handlers


def build_senders(settings: Settings, database: Database) -> SenderRegistry:
    senders = SenderRegistry()
    if settings.smtp_url:  # no SMTP server: the email directory reaches nobody, so nothing is queued
        senders.register(Channel.EMAIL, EmailSender(settings, database))
    senders.register(Channel.SLACK, SlackSender(settings, database))
    return senders


def build_pipeline(settings: Settings, database: Database) -> Pipeline:
    handlers = build_registry(settings, database)
    senders = build_senders(settings, database)
    return Pipeline(database, handlers, senders, RetryPolicy(max_attempts=settings.delivery_max_attempts))
