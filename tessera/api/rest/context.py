"""Per-request context: authentication and the unit of work, opened together by a handler.

Handlers write `async with ctx.transaction() as (session, actor):` so that the transaction
commits before the response is sent, never after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import NotAuthenticated, PermissionDenied
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import (
    authenticate_basic,
    authenticate_session,
    authenticate_token,
)
from tessera.tenancy.limits import RateLimiter

SESSION_COOKIE = "tessera_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class RequestContext:
    request: Request
    database: Database
    settings: Settings
    limiter: RateLimiter

    async def authenticate(self, session: AsyncSession, *, write: bool = True) -> Actor:
        header = self.request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            actor = await authenticate_token(session, credentials.strip(), touch=write)
        elif scheme.lower() == "basic" and credentials.strip():
            actor = await authenticate_basic(session, credentials, self.request.headers.get("x-tessera-org"),
                                             touch=write)
        elif header:
            raise NotAuthenticated("Use 'Authorization: Bearer <token>' or Basic email:token.")
        elif cookie := self.request.cookies.get(SESSION_COOKIE):
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
    async def read_after_commit(self) -> AsyncIterator[AsyncSession]:
        """A fresh read transaction for building a response once the change has committed, so
        the write transaction (and its row locks) ends as early as possible."""
        async with self.database.unit_of_work(write=False) as session:
            yield session

    @asynccontextmanager
    async def anonymous(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        async with self.database.unit_of_work(write=write) as session:
            yield session


async def request_context(request: Request) -> RequestContext:
    """Async on purpose: FastAPI runs plain functions in a thread pool, a hop per request."""
    state = request.app.state
    return RequestContext(request=request, database=state.database, settings=state.settings, limiter=state.limiter)
