"""Events of users, tokens and an organization's catalogs: each one invalidates cached
principals (and, for users, live subscriptions' permission checks) of the organization."""

from __future__ import annotations

from typing import ClassVar

from tessera.events.types.base import DomainEvent, domain_event


@domain_event
class UserChanged(DomainEvent):
    aggregate_type: ClassVar[str] = "user"
    user_id: int
    role: str
    active: bool


@domain_event
class UserUpdated(UserChanged):
    """A user's role or name changed, or the user was reactivated."""

    name: ClassVar[str] = "user_updated"
    jira_webhook_event: ClassVar[str | None] = "user_updated"


@domain_event
class UserDeactivated(UserChanged):
    """Jira has no deactivation event; it reports the user's change as user_updated."""

    name: ClassVar[str] = "user_deactivated"
    jira_webhook_event: ClassVar[str | None] = "user_updated"


@domain_event
class TokenRevoked(DomainEvent):
    name: ClassVar[str] = "token_revoked"
    aggregate_type: ClassVar[str] = "user"
    jira_webhook_event: ClassVar[str | None] = None
    user_id: int
    token_id: int


@domain_event
class CatalogChanged(DomainEvent):
    """Any of the organization's catalogs (statuses, issue types, fields, workflows ...) changed;
    an actor carries the catalog version, so cached principals must be read again."""

    name: ClassVar[str] = "catalog_changed"
    aggregate_type: ClassVar[str] = "organization"
    jira_webhook_event: ClassVar[str | None] = None
    organization_id: int
