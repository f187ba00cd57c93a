"""Per-request context of a page: the browser session, its CSRF token and the unit of work.

The web layer is a sibling of the REST API, not a client of it: it authenticates the same
`tessera_session` cookie (so one sign-in serves the pages and /v2 alike) and opens its own unit
of work. Handlers write `async with web.transaction() as (session, actor):`; the transaction
commits before the response is sent."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import NotAuthenticated, PermissionDenied
from tessera.inputs.text import validate_text
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import authenticate_session
from tessera.tenancy.limits import RateLimiter
from tessera.tenancy.throttle import AttemptGuard, LoginThrottle
from tessera.web.templating import templates

SESSION_COOKIE = "tessera_session"  # the cookie /v2/session sets: one browser session for both
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WebContext:
    request: Request
    database: Database
    settings: Settings
    limiter: RateLimiter
    _form: dict[str, str] | None = field(default=None, repr=False)

    @property
    def guard(self) -> AttemptGuard | None:
        """The failed-sign-in throttle for this client (tenancy.throttle), by its address."""
        throttle: LoginThrottle | None = getattr(self.request.app.state, "login_throttle", None)
        client = self.request.client
        return throttle.guard(client.host if client else None) if throttle is not None else None

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    async def form(self) -> dict[str, str]:
        """The posted form's text fields (the last value of a repeated name wins), each refused if
        the databases would not store it alike (urlencoded forms are refused even earlier, by
        tessera.api.input_check; this covers multipart forms)."""
        if self._form is None:
            data = await self.request.form()
            self._form = {key: validate_text(value, field=key) for key, value in data.items() if isinstance(value, str)}
        return self._form

    async def _check_csrf(self, actor: Actor) -> None:
        sent = self.request.headers.get(CSRF_HEADER) or (await self.form()).get(CSRF_FIELD, "")
        if not actor.csrf_token or not hmac.compare_digest(sent.encode(), actor.csrf_token.encode()):
            raise PermissionDenied("This form has expired or did not come from Tessera. Reload the page and "
                                   "try again.", code="csrf_failed")

    @asynccontextmanager
    async def transaction(self, *, write: bool | None = None) -> AsyncIterator[tuple[AsyncSession, Actor]]:
        """A change (any unsafe method) must carry the session's CSRF token, as a form field or header."""
        if write is None:
            write = self.request.method not in SAFE_METHODS
        cookie = self.request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise NotAuthenticated("Sign in to continue.")
        async with self.database.unit_of_work(write=write) as session:
            actor = await authenticate_session(session, cookie)
            self.request.state.actor = actor
            if self.request.method not in SAFE_METHODS:
                await self._check_csrf(actor)
            await self.limiter.hit(actor.organization_id, actor.requests_per_minute)
            yield session, actor

    @asynccontextmanager
    async def anonymous(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        async with self.database.unit_of_work(write=write) as session:
            yield session

    def render(self, template: str, *, status_code: int = 200, headers: dict[str, str] | None = None,
               **values: Any) -> HTMLResponse:
        return render(self.request, template, status_code=status_code, headers=headers, **values)

    def redirect(self, url: str) -> Response:
        """After a change: a 303 for plain forms, an HX-Redirect for HTMX requests."""
        if self.is_htmx:
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)


def render(request: Request, template: str, *, status_code: int = 200, headers: dict[str, str] | None = None,
           **values: Any) -> HTMLResponse:
    actor: Actor | None = getattr(request.state, "actor", None)
    context = {"actor": actor, "csrf_token": actor.csrf_token if actor else "", **values}
    return templates.TemplateResponse(request, template, context, status_code=status_code, headers=headers)


async def web_context(request: Request) -> WebContext:
    state = request.app.state
    return WebContext(request=request, database=state.database, settings=state.settings, limiter=state.limiter)


Web = Annotated[WebContext, Depends(web_context)]
