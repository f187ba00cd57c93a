"""What the worker runs: the outbox's handlers (each consumer fans events out into deliveries)
and the channels' senders. Consumers add theirs here as they land."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import DeliveryObserver, RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.events.types import DomainEvent
from tessera.integrations.mail_in.replies import ReplyAddressBook
from tessera.notifications.batching import BatchPolicy
from tessera.notifications.channels import ChannelDirectory, InboxDirectory
from tessera.notifications.email.directory import EmailDirectory
from tessera.notifications.email.sender import EmailSender
from tessera.notifications.fanout import NotificationFanout
from tessera.notifications.housekeeping import Housekeeping
from tessera.notifications.inbox import InboxSender
from tessera.notifications.kinds import SUBSCRIBED
from tessera.notifications.push.directory import PushDirectory
from tessera.notifications.push.sender import PushSender
from tessera.notifications.push.vapid import signer_for
from tessera.notifications.slack.directory import SlackDirectory
from tessera.notifications.slack.project_channel import PROJECT_CHANNEL_EVENTS, ProjectSlackHandler
from tessera.notifications.slack.sender import SlackSender
from tessera.webhooks.auto_disable import count_settled
from tessera.webhooks.fanout import WebhookFanOut
from tessera.webhooks.sender import WebhookSender
from tessera.workers.pipeline import Pipeline
from tessera.workers.runner import HandlerRegistry


def build_registry(settings: Settings, database: Database | None = None) -> HandlerRegistry:
    """The handlers that are not the notifications' fan-out (none without a database: tests
    that wire only the fan-out start from this)."""
    handlers = HandlerRegistry()
    if database is not None:
        # Webhooks (FR7): every event with a Jira name may reach a webhook; the fan-out skips the rest.
        handlers.register(WebhookFanOut(database, settings), DomainEvent)
        handlers.register(ProjectSlackHandler(settings, database), *PROJECT_CHANNEL_EVENTS)
    return handlers


def build_senders(settings: Settings, database: Database) -> tuple[SenderRegistry, list[ChannelDirectory]]:
    """The channels' senders, and the directories of those that reach people (the fan-out asks
    them who is reachable). Email only with an SMTP server, push only with VAPID keys."""
    senders = SenderRegistry()
    webhook_sender = WebhookSender(database, settings)
    senders.register(Channel.WEBHOOK, webhook_sender)
    senders.on_settled(Channel.WEBHOOK, partial(count_settled, healthy=webhook_sender.healthy))
    directories: list[ChannelDirectory] = []
    if settings.smtp_url:
        replies = ReplyAddressBook(settings) if settings.mail_in_domain else None
        senders.register(Channel.EMAIL, EmailSender(settings, database, reply_addresses=replies))
        directories.append(EmailDirectory(settings))
    senders.register(Channel.SLACK, SlackSender(settings, database))
    directories.append(SlackDirectory())
    push_signer = signer_for(settings)
    if push_signer is not None:
        senders.register(Channel.PUSH, PushSender(database, settings, push_signer))
        directories.append(PushDirectory())
    return senders, directories


def build_pipeline(settings: Settings, database: Database, *, observer: DeliveryObserver | None = None) -> Pipeline:
    """`observer`: the process's /metrics counters."""
    handlers = build_registry(settings, database)
    senders, directories = build_senders(settings, database)
    register_notifications(handlers, senders, settings, database, directories=directories)
    return Pipeline(database, handlers, senders, RetryPolicy(max_attempts=settings.delivery_max_attempts),
                    observer=observer, housekeeping=Housekeeping(database, settings))


def register_notifications(handlers: HandlerRegistry, senders: SenderRegistry, settings: Settings,
                           database: Database, *, directories: Sequence[ChannelDirectory] = (),
                           policy: BatchPolicy | None = None) -> NotificationFanout:
    """The notifications' fan-out (the inbox's directory first, then `directories`: the email,
    Slack and push channels) and the inbox's sender."""
    fanout = NotificationFanout(database, [InboxDirectory(), *directories],
                                policy or BatchPolicy(window_seconds=settings.notify_batch_seconds))
    handlers.register(fanout, *SUBSCRIBED)
    senders.register(Channel.INBOX, InboxSender(database))
    return fanout
