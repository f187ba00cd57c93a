"""Per-request context of a page: the browser session, its CSRF token and the unit of work.

The web layer is a sibling of the REST API, not a client of it: both go through tessera.edge,
which authenticates the same `tessera_session` cookie (so one sign-in serves the pages and /v2
alike), settles the rate limit and then opens the unit of work. Handlers write
`async with web.transaction() as (session, actor):`; the transaction commits before the
response is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.edge.authentication import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, attempt_guard, csrf_matches
from tessera.edge.context import identify, open_unit_of_work
from tessera.errors import NotAuthenticated, PermissionDenied
from tessera.inputs.text import validate_text
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import CredentialUse, authenticate_session
from tessera.tenancy.limits import RateLimiter
from tessera.tenancy.throttle import AttemptGuard
from tessera.web.templating import templates

CSRF_FIELD = "csrf_token"


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
        return attempt_guard(self.request)

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    async def form(self) -> dict[str, str]:
        """The posted form's text fields (the last value of a repeated name wins), each refused if
        the databases would not store it alike (urlencoded forms are refused even earlier, by
        tessera.edge.input_check; this covers multipart forms)."""
        if self._form is None:
            data = await self.request.form()
            self._form = {key: validate_text(value, field=key) for key, value in data.items() if isinstance(value, str)}
        return self._form

    async def _check_csrf(self, actor: Actor) -> None:
        sent = self.request.headers.get(CSRF_HEADER) or (await self.form()).get(CSRF_FIELD, "")
        if not actor.csrf_token or not csrf_matches(actor, sent):
            raise PermissionDenied("This form has expired or did not come from Tessera. Reload the page and "
                                   "try again.", code="csrf_failed")

    @asynccontextmanager
    async def transaction(self, *, write: bool | None = None,
                          search: bool = False) -> AsyncIterator[tuple[AsyncSession, Actor]]:
        """A change (any unsafe method) must carry the session's CSRF token, as a form field or
        header. `search`: the page runs the visitor's JQL (tessera.edge.context.identify)."""
        if write is None:
            write = self.request.method not in SAFE_METHODS
        cookie = self.request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise NotAuthenticated("Sign in to continue.")

        async def authenticate(session: AsyncSession, uses: list[CredentialUse]) -> Actor:
            actor = await authenticate_session(session, cookie, pending=uses)
            self.request.state.actor = actor
            return actor

        async def check(actor: Actor) -> None:
            if self.request.method not in SAFE_METHODS:
                await self._check_csrf(actor)

        identity = await identify(self.database, self.limiter, authenticate, check=check, search=search)
        async with open_unit_of_work(self.database, identity, write=write, search=search) as session:
            yield session, identity.actor

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
