"""Per-request context: authentication and the unit of work, opened together by a handler.

Handlers write `async with ctx.transaction() as (session, actor):` so that the transaction
commits before the response is sent, never after. Events the transaction emitted are handed to
the live hub right after that commit (Database.on_commit), never after a rollback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import NotAuthenticated, PermissionDenied
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import (
    PrincipalCache,
    authenticate_basic,
    authenticate_session,
    authenticate_token,
)
from tessera.tenancy.limits import RateLimiter
from tessera.tenancy.origins import validate_own_origin
from tessera.tenancy.throttle import AttemptGuard, LoginThrottle

SESSION_COOKIE = "tessera_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def attempt_guard(connection: HTTPConnection) -> AttemptGuard | None:
    """The failed-sign-in throttle for this client (tenancy.throttle), by its address."""
    throttle: LoginThrottle | None = getattr(connection.app.state, "login_throttle", None)
    if throttle is None:
        return None
    return throttle.guard(connection.client.host if connection.client else None)


async def authenticate_authorization(session: AsyncSession, header: str, organization_key: str | None, *,
                                     touch: bool, guard: AttemptGuard | None,
                                     cache: PrincipalCache | None = None) -> Actor | None:
    """An Authorization value's actor (Bearer token, Basic email:token or email:password); None
    when it is empty. Every transport authenticates headers through here."""
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return await authenticate_token(session, credentials.strip(), touch=touch, cache=cache, guard=guard)
    if scheme.lower() == "basic" and credentials.strip():
        return await authenticate_basic(session, credentials, organization_key, touch=touch, cache=cache,
                                        guard=guard)
    if header:
        raise NotAuthenticated("Use 'Authorization: Bearer <token>' or Basic email:token.")
    return None


async def _authenticate_header(session: AsyncSession, connection: HTTPConnection, *, touch: bool,
                               cache: PrincipalCache | None = None) -> Actor | None:
    """The Authorization header's actor; None when there is no header."""
    header = connection.headers.get("authorization", "")
    if not header:
        return None
    return await authenticate_authorization(session, header, connection.headers.get("x-tessera-org"), touch=touch,
                                            guard=attempt_guard(connection), cache=cache)


async def authenticate_websocket(session: AsyncSession, connection: HTTPConnection, settings: Settings) -> Actor:
    """A WebSocket handshake: the Authorization header, or the browser's session cookie. A
    cookie counts only from our own pages (Origin = settings.base_url), since any site may open
    a WebSocket to us and the browser would attach the cookie (cross-site WebSocket hijacking)."""
    actor = await _authenticate_header(session, connection, touch=False)
    if actor is not None:
        return actor
    cookie = connection.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("Authenticate with an Authorization header, a session cookie or ?ticket=.")
    validate_own_origin(origin=connection.headers.get("origin"), referer=None, base_url=settings.base_url,
                     host=connection.headers.get("host"))
    return await authenticate_session(session, cookie)


@dataclass
class RequestContext:
    request: Request
    database: Database
    settings: Settings
    limiter: RateLimiter
    principals: PrincipalCache | None = None

    @property
    def guard(self) -> AttemptGuard | None:
        return attempt_guard(self.request)

    async def authenticate(self, session: AsyncSession, *, write: bool = True) -> Actor:
        actor = await _authenticate_header(session, self.request, touch=write, cache=self.principals)
        if actor is None:
            if cookie := self.request.cookies.get(SESSION_COOKIE):
                actor = await authenticate_session(session, cookie)
                if self.request.method not in SAFE_METHODS and \
                        self.request.headers.get("x-csrf-token") != actor.csrf_token:
                    raise PermissionDenied("A browser session must send its X-CSRF-Token with changes.")
            else:
                raise NotAuthenticated("Authentication is required.")
        await self.limiter.hit(actor.organization_id, actor.requests_per_minute)
        self.request.state.actor = actor
        return actor

    @asynccontextmanager
    async def transaction(self, *, write: bool | None = None) -> AsyncIterator[tuple[AsyncSession, Actor]]:
        """Reads (GET) run in a read transaction unless `write` says otherwise."""
        if write is None:
            write = self.request.method not in SAFE_METHODS
        async with self.database.unit_of_work(write=write) as session:
            actor = await self.authenticate(session, write=write)
            yield session, actor

    @asynccontextmanager
    async def read_after_commit(self, within: AsyncSession | None = None) -> AsyncIterator[AsyncSession]:
        """A fresh read transaction for building a response once the change has committed, so
        the write transaction (and its row locks) ends as early as possible. `within`: the write
        transaction itself, still open, for a response that must be stored with the change (an
        Idempotency-Key's, see api/rest/idempotency.py)."""
        if within is not None:
            yield within
            return
        async with self.database.unit_of_work(write=False) as session:
            yield session

    @asynccontextmanager
    async def anonymous(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        async with self.database.unit_of_work(write=write) as session:
            yield session


async def request_context(request: Request) -> RequestContext:
    """Async on purpose: FastAPI runs plain functions in a thread pool, a hop per request."""
    state = request.app.state
    return RequestContext(request=request, database=state.database, settings=state.settings, limiter=state.limiter,
                          principals=getattr(state, "principals", None))
