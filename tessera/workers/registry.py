"""What the worker runs: the outbox's handlers (each consumer fans events out into deliveries)
and the channels' senders. Consumers add theirs here as they land."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import DeliveryObserver, RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.notifications.batching import BatchPolicy
from tessera.notifications.channels import ChannelDirectory, InboxDirectory
from tessera.notifications.fanout import NotificationFanout
from tessera.notifications.inbox import InboxSender
from tessera.notifications.kinds import SUBSCRIBED
from tessera.notifications.push.directory import PushDirectory
from tessera.notifications.push.sender import PushSender
from tessera.notifications.push.vapid import signer_for
from tessera.workers.pipeline import Pipeline
from tessera.workers.runner import HandlerRegistry


def build_registry(settings: Settings) -> HandlerRegistry:
    return HandlerRegistry()


def build_pipeline(settings: Settings, database: Database, *, observer: DeliveryObserver | None = None) -> Pipeline:
    """`observer`: the serving process's /metrics counters, when it runs the worker itself."""
    handlers = build_registry(settings)
    senders = SenderRegistry()
    directories: list[ChannelDirectory] = []
    push_signer = signer_for(settings)  # Web Push only when VAPID keys are configured
    if push_signer is not None:
        senders.register(Channel.PUSH, PushSender(database, settings, push_signer))
        directories.append(PushDirectory())
    register_notifications(handlers, senders, settings, database, directories=directories)
    return Pipeline(database, handlers, senders, RetryPolicy(max_attempts=settings.delivery_max_attempts),
                    observer=observer)


def register_notifications(handlers: HandlerRegistry, senders: SenderRegistry, settings: Settings,
                           database: Database, *, directories: Sequence[ChannelDirectory] = (),
                           policy: BatchPolicy | None = None) -> NotificationFanout:
    """The notifications' fan-out (the inbox's directory first, then `directories`: the email,
    Slack and push channels add theirs here) and the inbox's sender."""
    fanout = NotificationFanout(database, [InboxDirectory(), *directories],
                                policy or BatchPolicy(window_seconds=settings.notify_batch_seconds))
    handlers.register(fanout, *SUBSCRIBED)
    senders.register(Channel.INBOX, InboxSender(database))
    return fanout
