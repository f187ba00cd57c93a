"""Live subscribers: who is on the socket and what they follow, for the /v2/.../live WebSocket
and GraphQL subscriptions alike. The protocol and the hub are tessera.live's; the
transports map refusals to their own close codes or errors."""

from __future__ import annotations

from typing import Literal

from starlette.requests import HTTPConnection

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.edge.authentication import (
    attempt_guard,
    authenticate_authorization,
    authenticate_websocket,
    record_refused_authorization,
)
from tessera.errors import NotAuthenticated, RateLimited
from tessera.issues.service import access_issue
from tessera.live.registry import Scope
from tessera.live.tickets import redeem_ticket
from tessera.projects.service import access_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.limits import RateLimiter
from tessera.tenancy.token_scopes import check_token_scope

LiveKind = Literal["issue", "project", "user"]


async def authenticate_live(database: Database, settings: Settings, connection: HTTPConnection, *,
                            ticket: str | None = None, authorization: str | None = None) -> Actor:
    """A single-use ticket (spent in a write transaction of its own), else an Authorization value
    sent after the handshake (GraphQL's connection_init), else the handshake's header or cookie."""
    if ticket is not None:
        async with database.unit_of_work() as session:
            return await redeem_ticket(session, ticket)
    try:
        async with database.unit_of_work(write=False) as session:
            if authorization is not None:
                actor = await authenticate_authorization(session, authorization, None,
                                                         guard=attempt_guard(connection))
                if actor is None:
                    raise NotAuthenticated("The Authorization value is empty.")
            else:
                actor = await authenticate_websocket(session, connection, settings)
    except (NotAuthenticated, RateLimited) as refusal:
        if sent := authorization or connection.headers.get("authorization"):
            await record_refused_authorization(database, sent, refusal, organization_key=None)
        raise
    check_token_scope(actor)  # no live stream accepts a scoped (CI) token
    return actor


async def identify_subscriber(database: Database, settings: Settings, limiter: RateLimiter,
                              connection: HTTPConnection, *, ticket: str | None = None,
                              authorization: str | None = None) -> Actor:
    """authenticate_live, then the organization's rate limit (after its transaction has ended)."""
    actor = await authenticate_live(database, settings, connection, ticket=ticket, authorization=authorization)
    await limiter.hit(actor.organization_id, actor.requests_per_minute)
    return actor


async def resolve_live_scope(database: Database, actor: Actor, *, kind: LiveKind, ref: str) -> Scope:
    """What a subscription follows: one issue or every issue of a project, by id or key; raises
    NotFound when the actor may not browse it. "user": the actor's own notifications (no ref)."""
    if kind == "user":
        return Scope(kind="user", organization_id=actor.organization_id, project_id=None, user_id=actor.user_id)
    async with database.unit_of_work(write=False, organization_id=actor.organization_id) as session:
        if kind == "issue":
            issue, project = await access_issue(session, actor, ref)
            return Scope(kind="issue", organization_id=actor.organization_id, project_id=project.id,
                         issue_id=issue.id)
        project = await access_project(session, actor, ref)
        return Scope(kind="project", organization_id=actor.organization_id, project_id=project.id)
