"""Events of the delivery pipeline itself: what it tells people about its own state."""

from __future__ import annotations

from tessera.events.types.base import DomainEvent


class NotificationAdded(DomainEvent, name="notification_added", jira=None, aggregate="user"):
    """An entry reached a user's in-app inbox; the web UI's bell shows it live."""

    user_id: int
    notification_id: int
    unread: int


class WebhookDisabled(DomainEvent, name="webhook_disabled", jira=None, aggregate="webhook"):
    """A webhook that kept failing was turned off; its owner is notified."""

    webhook_id: int
    owner_id: int | None
    webhook_name: str
    url: str
    reason: str
