"""Events of users, tokens and an organization's catalogs: each one invalidates cached
principals (and, for users, live subscriptions' permission checks) of the organization."""

from __future__ import annotations

from tessera.events.types.base import DomainEvent


class UserChanged(DomainEvent, aggregate="user"):
    """A user's role or name changed, or the user was deactivated or reactivated."""

    user_id: int
    role: str
    active: bool


# Jira has no deactivation event; it reports the user's change as user_updated.
UserUpdated, UserDeactivated = UserChanged.variants(
    user_updated="user_updated", user_deactivated="user_updated")


class TokenRevoked(DomainEvent, name="token_revoked", jira=None, aggregate="user"):
    user_id: int
    token_id: int


class CatalogChanged(DomainEvent, name="catalog_changed", jira=None, aggregate="organization"):
    """Any of the organization's catalogs (statuses, issue types, fields, workflows ...) changed;
    an actor carries the catalog version, so cached principals must be read again."""

    organization_id: int
