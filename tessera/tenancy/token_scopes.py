"""API token scopes: a token made for one machine use (a CI server posting builds and
deployments) that can do nothing else, so that a leaked CI secret cannot read or change issues.

A token without a scope carries its owner's full rights. A scoped token still acts as its owner
(history and rate limits name them), but every surface refuses it except the ones that accept
its scope, and the edge checks that once per request (tessera.edge.context.identify)."""

from __future__ import annotations

from tessera.errors import InvalidInput, PermissionDenied
from tessera.tenancy.actor import Actor

CI = "ci"
TOKEN_SCOPES = frozenset({CI})
NO_SCOPES: frozenset[str] = frozenset()


def check_scope_name(scope: str | None) -> str | None:
    if scope is not None and scope not in TOKEN_SCOPES:
        raise InvalidInput(f"Unknown token scope '{scope}'; the scopes are: {', '.join(sorted(TOKEN_SCOPES))}.",
                           field="scope")
    return scope


def check_token_scope(actor: Actor, accepted: frozenset[str] = NO_SCOPES) -> None:
    """Refuses a scoped token on a surface that does not accept its scope."""
    if actor.token_scope is not None and actor.token_scope not in accepted:
        raise PermissionDenied(f"This API token is scoped to '{actor.token_scope}' and may not be used here.",
                               code="token_scope")
