"""The request's order of business, the same on every transport: authenticate in a short read
transaction, settle the rate limit, then open the unit of work the handler uses.

The unit of work of an identified actor runs walled in its organization (PostgreSQL row-level
security, tessera.db.row_security); authentication's transaction cannot be, since it looks the
credentials up before the organization is known, and neither can `anonymous()`.

The limiter may be Redis: awaiting it inside the request's transaction would hold a pooled
connection (and, on SQLite, the single writer's lock) for a network round trip, and a refused
request would have opened a transaction for nothing. An API token's actor usually comes from
the PrincipalCache, so its read transaction runs no statement and takes no connection.

Handlers write `async with ctx.transaction() as (session, actor):` so that the transaction
commits before the response is sent, never after. Events the transaction emitted are handed to
the live hub right after that commit (Database.on_commit), never after a rollback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from tessera.audit.context import act_as
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.edge.authentication import (
    CSRF_HEADER,
    SAFE_METHODS,
    attempt_guard,
    authenticate_connection,
    csrf_matches,
    record_refused_authorization,
)
from tessera.errors import NotAuthenticated, PermissionDenied, RateLimited
from tessera.jql.search import SEARCH_SETTINGS
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import CredentialUse, PrincipalCache, cached_token_actor, do_record_token_use
from tessera.tenancy.limits import RateLimiter
from tessera.tenancy.throttle import AttemptGuard
from tessera.tenancy.token_scopes import NO_SCOPES, check_token_scope

Authenticate = Callable[[AsyncSession, list[CredentialUse]], Awaitable[Actor]]


@dataclass
class Identity:
    """An authenticated actor whose request the rate limit let through; `token_uses` are the
    token's due last-use (or the session's last-seen) records, at most one a minute per credential."""

    actor: Actor
    token_uses: list[CredentialUse] = field(default_factory=list)


async def identify(database: Database, limiter: RateLimiter, authenticate: Authenticate, *,
                   cached: Actor | None = None, check: Callable[[Actor], Awaitable[None]] | None = None,
                   search: bool = False, scopes: frozenset[str] = NO_SCOPES,
                   authorization: str | None = None, organization_key: str | None = None) -> Identity:
    """`authenticate` runs in a read transaction that ends before `check` (a CSRF check, which
    may read the body) and the rate limits run; RateLimited leaves no transaction behind.
    `cached`: the actor the principal cache already holds for the credentials
    (tenancy.auth.cached_token_actor), which spares opening that transaction at all.
    `search`: the request runs a client's JQL, one of the organization's searches per hour.
    `scopes`: the API token scopes this surface accepts (tenancy.token_scopes); a token scoped
    to anything else is refused here, so no transport can forget to.
    `authorization`: the request's Authorization header, whose refusal (a revoked, expired or
    foreign token, a wrong or locked-out password) is recorded in the audit log
    (`organization_key`: the X-Tessera-Org header naming a password's organization)."""
    uses: list[CredentialUse] = []
    if cached is not None:
        actor = cached
    else:
        try:
            async with database.unit_of_work(write=False) as session:
                actor = await authenticate(session, uses)
        except (NotAuthenticated, RateLimited) as refusal:
            if authorization:
                await record_refused_authorization(database, authorization, refusal,
                                                   organization_key=organization_key)
            raise
    check_token_scope(actor, scopes)
    if check is not None:
        await check(actor)
    await limiter.hit(actor.organization_id, actor.requests_per_minute)
    if search:
        await limiter.check_search_quota(actor)
    return Identity(actor, uses)


@asynccontextmanager
async def open_unit_of_work(database: Database, identity: Identity, *, write: bool,
                            search: bool = False) -> AsyncIterator[AsyncSession]:
    """The request's unit of work for an identified actor; a write records the credential's due
    use. A read records it in a short write transaction of its own first, so that a token used
    only for reading (or a browser only looking) still shows its last use; being due at most
    once a minute per credential, that costs reads almost nothing. `search`: the transaction
    runs a JQL search, whose settings are made as it opens (one statement fewer per search)."""
    organization_id = identity.actor.organization_id
    if not write and identity.token_uses:
        async with database.unit_of_work(write=True, organization_id=organization_id) as session:
            await _record_uses(session, identity)
    async with database.unit_of_work(write=write, organization_id=organization_id,
                                     settings=SEARCH_SETTINGS if search else ()) as session:
        if write:
            act_as(session, user_id=identity.actor.user_id, token_id=identity.actor.token_id)
            await _record_uses(session, identity)
        yield session


async def _record_uses(session: AsyncSession, identity: Identity) -> None:
    while identity.token_uses:
        await do_record_token_use(session, use=identity.token_uses.pop())


@dataclass
class RequestContext:
    """/v2 and /rest: the Authorization header, else the session cookie with its X-CSRF-Token
    on every change."""

    request: Request
    database: Database
    settings: Settings
    limiter: RateLimiter
    principals: PrincipalCache | None = None

    @property
    def guard(self) -> AttemptGuard | None:
        return attempt_guard(self.request)

    @property
    def is_safe(self) -> bool:
        return self.request.method in SAFE_METHODS

    async def identify(self, *, search: bool = False, scopes: frozenset[str] = NO_SCOPES) -> Identity:
        async def authenticate(session: AsyncSession, uses: list[CredentialUse]) -> Actor:
            return await authenticate_connection(session, self.request, missing="Authentication is required.",
                                                 cache=self.principals, pending=uses)

        async def check(actor: Actor) -> None:
            if not self.is_safe and not csrf_matches(actor, self.request.headers.get(CSRF_HEADER)):
                raise PermissionDenied("A browser session must send its X-CSRF-Token with changes.")

        cached = cached_token_actor(self.request.headers.get("authorization", ""), self.principals)
        identity = await identify(self.database, self.limiter, authenticate, cached=cached, check=check,
                                  search=search, scopes=scopes,
                                  authorization=self.request.headers.get("authorization"),
                                  organization_key=self.request.headers.get("x-tessera-org"))
        self.request.state.actor = identity.actor
        return identity

    @asynccontextmanager
    async def transaction(self, *, write: bool | None = None, search: bool = False,
                          scopes: frozenset[str] = NO_SCOPES) -> AsyncIterator[tuple[AsyncSession, Actor]]:
        """Reads (GET) run in a read transaction unless `write` says otherwise. `search`: the
        handler runs a client's JQL, counted against the hourly search quota (a 429 past it)
        before the transaction opens; the handler then passes no quota to the search.
        `scopes`: the scoped API tokens this handler accepts besides full ones."""
        if write is None:
            write = not self.is_safe
        identity = await self.identify(search=search, scopes=scopes)
        async with open_unit_of_work(self.database, identity, write=write, search=search) as session:
            yield session, identity.actor

    @asynccontextmanager
    async def read_after_commit(self, within: AsyncSession | None = None) -> AsyncIterator[AsyncSession]:
        """A fresh read transaction for building a response once the change has committed, so
        the write transaction (and its row locks) ends as early as possible. `within`: the write
        transaction itself, still open, for a response that must be stored with the change (an
        Idempotency-Key's, see tessera.edge.idempotency)."""
        if within is not None:
            yield within
            return
        actor: Actor | None = getattr(self.request.state, "actor", None)
        async with self.database.unit_of_work(
                write=False, organization_id=None if actor is None else actor.organization_id) as session:
            yield session

    @asynccontextmanager
    async def anonymous(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        async with self.database.unit_of_work(write=write) as session:
            yield session


async def request_context(request: Request) -> RequestContext:
    """The FastAPI dependency of /v2 and /rest. Async on purpose: FastAPI runs plain functions
    in a thread pool, a hop per request."""
    state = request.app.state
    return RequestContext(request=request, database=state.database, settings=state.settings, limiter=state.limiter,
                          principals=getattr(state, "principals", None))
