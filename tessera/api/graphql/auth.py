"""Who is asking, as for /v2: `Authorization: Bearer <token>` or Basic, else the browser's session
cookie. A cookie may read (GraphiQL in the browser sends no extra header) but must send its
X-CSRF-Token to change anything. WebSocket subscribers authenticate with `connection_init`'s
payload (`{"Authorization": "Bearer ..."}` or a `{"ticket": ...}` from POST /v2/live/tickets),
else with the handshake's header or cookie, exactly as /v2/.../live does."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from tessera.api.rest.context import (
    SESSION_COOKIE,
    attempt_guard,
    authenticate_authorization,
    authenticate_websocket,
)
from tessera.collaboration.live.tickets import redeem_ticket
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import NotAuthenticated, PermissionDenied
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import PrincipalCache, authenticate_session


async def authenticate_http(session: AsyncSession, connection: HTTPConnection, *, touch: bool,
                            cache: PrincipalCache | None = None) -> Actor:
    header = connection.headers.get("authorization", "")
    actor = await authenticate_authorization(session, header, connection.headers.get("x-tessera-org"), touch=touch,
                                             guard=attempt_guard(connection), cache=cache)
    if actor is not None:
        return actor
    if cookie := connection.cookies.get(SESSION_COOKIE):
        return await authenticate_session(session, cookie)
    raise NotAuthenticated("Authentication is required: send 'Authorization: Bearer <api token>'.")


def validate_csrf(actor: Actor, connection: HTTPConnection) -> None:
    """A change made with the browser's cookie must carry the token the session was given."""
    if actor.via == "session" and connection.headers.get("x-csrf-token") != actor.csrf_token:
        raise PermissionDenied("A browser session must send its X-CSRF-Token with mutations.")


async def authenticate_subscriber(database: Database, settings: Settings, connection: HTTPConnection,
                                  params: Mapping[str, object] | None) -> Actor:
    params = params or {}
    ticket = params.get("ticket")
    if ticket is not None:
        async with database.unit_of_work() as session:  # redeeming spends the ticket
            return await redeem_ticket(session, str(ticket))
    header = params.get("Authorization", params.get("authorization"))
    async with database.unit_of_work(write=False) as session:
        if header is not None:
            actor = await authenticate_authorization(session, str(header), None, touch=False,
                                                     guard=attempt_guard(connection))
            if actor is None:
                raise NotAuthenticated("The Authorization value is empty.")
            return actor
        return await authenticate_websocket(session, connection, settings)
