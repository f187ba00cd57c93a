"""Refuses the requests of an organization past its rate limit before they cost anything more.

An organization flooding the API at its limit sends most of its requests to be refused with 429.
Refused at the usual place (tessera.edge.context.identify), each still went through routing, the
framework's dependency and body handling, authentication and the limiter's counter (a Redis round
trip), and those thousands of refusals a second took the event loop from every other tenant
(bench/noisy_neighbour.py). Here, in front of all of that, a request whose API token's actor is
in the principal cache (tenancy.auth.cached_token_actor: a digest and a dict lookup, no I/O) and
whose organization this process already refused in the current window
(tenancy.limits.RateLimiter.refusal) is answered 429 at once, in its edge's shape, with the
Retry-After the limiter gives. Everything else passes untouched and is counted as before, so
the limit itself and who gets to use it are unchanged; only the cost of saying no is.

These refusals are answered `delay` seconds late (TESSERA_RATE_LIMIT_REFUSAL_DELAY_MS): a
client that ignores Retry-After and asks again at once, connection after connection, then asks a
few times a second instead of thousands. At most `MAX_DELAYED` refusals wait at a time (a timer
each); past that they are answered at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.edge.by_path import Edge, edge_for
from tessera.tenancy.auth import PrincipalCache, cached_token_actor
from tessera.tenancy.limits import RateLimiter


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return value.decode("latin-1")
    return None


MAX_DELAYED = 10_000


class EarlyRefusal:
    def __init__(self, app: ASGIApp, *, edges: Sequence[Edge], limiter: RateLimiter,
                 principals: PrincipalCache, delay: float = 0.0) -> None:
        self.app = app
        self.edges = tuple(edges)
        self.limiter = limiter
        self.principals = principals
        self.delay = delay
        self.delayed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Nothing to look at while no organization is refused: the common case costs one test.
        if scope["type"] == "http" and self.limiter.blocking:
            authorization = _authorization(scope)
            actor = cached_token_actor(authorization, self.principals) if authorization else None
            refusal = actor and self.limiter.refusal(actor.organization_id, actor.requests_per_minute)
            if refusal:
                response = await edge_for(self.edges, scope.get("path", "")).refused(Request(scope), refusal)
                if self.delay > 0 and self.delayed < MAX_DELAYED:
                    self.delayed += 1
                    try:
                        await asyncio.sleep(self.delay)
                    finally:
                        self.delayed -= 1
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
