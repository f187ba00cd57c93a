"""Per-request state of a GraphQL operation: who is asking, one read transaction shared by every
resolver, a write transaction per mutation, and the request's DataLoaders.

Who is asking is settled by tessera.edge, as for /v2: `Authorization: Bearer <token>` or Basic,
else the browser's session cookie, authenticated in a short read transaction of its own before
the rate limit and before any transaction a resolver uses. A cookie may read (GraphiQL in the
browser sends no extra header) but must send its X-CSRF-Token to change anything. WebSocket
subscribers authenticate with `connection_init`'s payload (`{"Authorization": "Bearer ..."}` or
a `{"ticket": ...}` from POST /v2/live/tickets), else with the handshake's header or cookie,
exactly as /v2/.../live does.

Sibling fields resolve concurrently (graphql-core gathers them) but an AsyncSession runs one
statement at a time, so every use of the session goes through `reading()`, which holds a lock.
A resolver must never await a DataLoader inside `reading()`: the loader's batch needs that lock.

Mutations run one after another; each commits in its own unit of work (`writing()`), then the
read transaction and the loaders start afresh, so what a mutation returns is read after its
commit. A WebSocket carries subscriptions only: they open their own short transactions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import cached_property
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.fastapi import BaseContext

from tessera.api.graphql.loaders import Loaders
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.edge.authentication import CSRF_HEADER, authenticate_connection, csrf_matches
from tessera.edge.context import Identity, identify, open_unit_of_work
from tessera.edge.live import identify_subscriber
from tessera.errors import InvalidInput, NotAuthenticated, PermissionDenied, RateLimited, TesseraError
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.live.hub import LiveHub
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import CredentialUse, PrincipalCache, cached_token_actor
from tessera.tenancy.limits import RateLimiter

log = logging.getLogger("tessera.graphql")


class GraphQLContext(BaseContext):
    def __init__(self, *, database: Database, settings: Settings, limiter: RateLimiter, hub: LiveHub,
                 principals: PrincipalCache | None = None) -> None:
        super().__init__()
        self.database = database
        self.settings = settings
        self.limiter = limiter
        self.hub = hub
        self.principals = principals
        self._lock = asyncio.Lock()
        self._identity: Identity | None = None
        self._actor: Actor | None = None
        self._refusal: TesseraError | None = None
        self._reads: AsyncExitStack | None = None
        self._session: AsyncSession | None = None
        self._catalog: OrgCatalog | None = None
        self._loaders: Loaders | None = None

    @property
    def connection(self) -> HTTPConnection:
        assert self.request is not None
        return self.request

    @property
    def is_websocket(self) -> bool:
        return isinstance(self.request, WebSocket)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self)
        return self._loaders

    @cached_property
    def base_url(self) -> str:
        return self.settings.base_url.rstrip("/")

    # -- identity ------------------------------------------------------------------------------------

    async def _identify(self) -> Identity:
        """Once per request, before any transaction of the request opens; a refusal is remembered
        so every field reports the same one."""
        if self._identity is not None:
            return self._identity
        if self._refusal is not None:
            raise self._refusal

        async def authenticate(session: AsyncSession, uses: list[CredentialUse]) -> Actor:
            return await authenticate_connection(
                session, self.connection, cache=self.principals, pending=uses,
                missing="Authentication is required: send 'Authorization: Bearer <api token>'.")

        try:
            cached = cached_token_actor(self.connection.headers.get("authorization", ""), self.principals)
            identity = await identify(self.database, self.limiter, authenticate, cached=cached,
                                      authorization=self.connection.headers.get("authorization"),
                                      organization_key=self.connection.headers.get("x-tessera-org"))
        except NotAuthenticated as refusal:
            self._refuse(refusal, 401)
            raise
        except PermissionDenied as refusal:  # a token scoped to another use (tenancy.token_scopes)
            self._refuse(refusal, 403)
            raise
        except RateLimited as refusal:
            self._refuse(refusal, 429, {"Retry-After": str(refusal.retry_after)})
            raise
        self._identity, self._actor = identity, identity.actor
        return identity

    async def check_search_quota(self, actor: Actor) -> None:
        """The search quota (tessera.tenancy.limits.SearchQuota) for resolvers that run JQL: a
        refused search fails its field with RATE_LIMITED, and the HTTP response is a 429 with
        Retry-After, as when the request rate is exceeded; other fields still resolve."""
        try:
            await self.limiter.check_search_quota(actor)
        except RateLimited as refusal:
            self._set_status(429, {"Retry-After": str(refusal.retry_after)})
            raise

    def _set_status(self, status: int, headers: dict[str, str] | None = None) -> None:
        if self.response is not None:  # the HTTP response strawberry sends (None on a WebSocket)
            self.response.status_code = status
            for name, value in (headers or {}).items():
                self.response.headers[name] = value

    def _refuse(self, refusal: TesseraError, status: int, headers: dict[str, str] | None = None) -> None:
        self._refusal = refusal
        self._set_status(status, headers)

    async def authenticate_subscriber(self) -> Actor:
        params = self.connection_params if isinstance(self.connection_params, dict) else {}
        ticket = params.get("ticket")
        authorization = params.get("Authorization", params.get("authorization"))
        self._actor = await identify_subscriber(
            self.database, self.settings, self.limiter, self.connection,
            ticket=None if ticket is None else str(ticket),
            authorization=None if authorization is None else str(authorization))
        return self._actor

    def subscriber(self) -> Actor:
        if not self.is_websocket:
            raise InvalidInput("Subscriptions run over a WebSocket (graphql-transport-ws) at /graphql.",
                               code="websocket_required")
        if self._actor is None:
            raise NotAuthenticated("Authenticate in connection_init's payload or the handshake.")
        return self._actor

    # -- transactions ----------------------------------------------------------------------------------

    async def _read_session(self, organization_id: int) -> AsyncSession:
        if self._session is None:
            self._reads = AsyncExitStack()
            self._session = await self._reads.enter_async_context(
                self.database.unit_of_work(write=False, organization_id=organization_id))
        return self._session

    async def _end_reads(self) -> None:
        reads, self._reads, self._session = self._reads, None, None
        if reads is not None:
            await reads.aclose()

    async def _discard_reads(self) -> None:
        """After a failed or cancelled statement the connection may be unusable (asyncpg closes it
        when a query is cancelled): drop the read session; the next read opens a fresh one."""
        try:
            await self._end_reads()
        except Exception:  # noqa: BLE001 - the pool discards a broken connection by itself
            log.debug("discarding a broken read session", exc_info=True)

    def _refuse_websocket_operations(self) -> None:
        if self.is_websocket:
            raise InvalidInput("Over the WebSocket send subscriptions only; POST queries and mutations to "
                               "/graphql.", code="http_required")

    @asynccontextmanager
    async def reading(self, *, search: bool = False) -> AsyncIterator[tuple[AsyncSession, Actor]]:
        """The request's read transaction, for one resolver or loader batch at a time. `search`:
        the resolver runs a client's JQL (check_search_quota), counted before the transaction
        opens when this is the request's first read (later ones share the open transaction)."""
        self._refuse_websocket_operations()
        async with self._lock:
            actor = (await self._identify()).actor
            if search:
                await self.check_search_quota(actor)
            session = await self._read_session(actor.organization_id)
            try:
                yield session, actor
            except (DBAPIError, asyncio.CancelledError):
                # PostgreSQL aborts the transaction on a failed statement, and graphql-core cancels a
                # field's siblings when an error nulls their parent: start the next read afresh.
                await self._discard_reads()
                raise

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[tuple[AsyncSession, Actor]]:
        """A unit of work of its own, committed when the block ends. Reads made before it are
        dropped (cached rows, the read snapshot), so what follows sees the change."""
        self._refuse_websocket_operations()
        async with self._lock:
            await self._end_reads()
            self._loaders = None
            identity = await self._identify()
            if not csrf_matches(identity.actor, self.connection.headers.get(CSRF_HEADER)):
                raise PermissionDenied("A browser session must send its X-CSRF-Token with mutations.")
            async with open_unit_of_work(self.database, identity, write=True) as session:
                yield session, identity.actor

    async def catalog(self) -> OrgCatalog:
        if self._catalog is None:
            async with self.reading() as (session, actor):
                self._catalog = await catalog_for(session, actor)
        return self._catalog

    async def close(self) -> None:
        await self._discard_reads()


def context_getter_for(app_state: Any) -> GraphQLContext:
    return GraphQLContext(database=app_state.database, settings=app_state.settings, limiter=app_state.limiter,
                          hub=app_state.live_hub, principals=getattr(app_state, "principals", None))
