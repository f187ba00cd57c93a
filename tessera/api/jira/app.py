"""The Jira-compatible API as its own ASGI app, mounted at /rest by create_app: its routes and
its error handlers (Jira's error shape) apply to /rest/* only, while /v2 keeps its own.
It shares the main app's state (settings, database, rate limiter, object store).

`/rest/api/latest/…` serves the same routes as `/rest/api/2/…` (the `jira` client uses it for
a few calls, e.g. assigning). Other `/rest/…` APIs (Jira's webhooks) belong in this app too:
the mount answers every path under /rest."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.api.edges import Edge
from tessera.api.guard import RequestGuard
from tessera.api.jira import (
    agile,
    attachments,
    catalog,
    comments,
    filters,
    issues,
    links,
    meta,
    permissions,
    projects,
    search,
    sprints,
    transitions,
    users,
    watchers,
    worklogs,
)
from tessera.api.jira.errors import install_jira_error_handlers, internal_error, tessera_error

CORE_PREFIXES = ("/api/2", "/api/latest")
# `meta` first: /issue/createmeta must win over /issue/{issue}.
CORE_ROUTERS = (meta, users, issues, transitions, comments, watchers, worklogs, links, attachments, search, filters,
                catalog, projects, permissions)


class IgnoreTrailingSlash:
    """Jira answers `/rest/api/2/issue/` like `/rest/api/2/issue` (its documentation's curl
    examples use both); a redirect would lose a POST's body with most clients."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
            if "raw_path" in scope:
                scope["raw_path"] = scope["raw_path"].rstrip(b"/") or b"/"
        await self.app(scope, receive, send)


def create_jira_app(state: State) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state = state
    install_jira_error_handlers(app)
    for prefix in CORE_PREFIXES:
        for module in CORE_ROUTERS:
            app.include_router(module.router, prefix=prefix, include_in_schema=False)
    for module in (agile, sprints):
        app.include_router(module.router, prefix="/agile/1.0", include_in_schema=False)
    app.include_router(users.session_router, prefix="/auth/1", include_in_schema=False)
    app.include_router(users.applinks_router, prefix="/applinks/latest", include_in_schema=False)
    app.add_middleware(IgnoreTrailingSlash)
    # Inside this app's own last resort, so a failure here is answered (in Jira's shape) by the guard.
    app.add_middleware(RequestGuard, edges=[Edge("", tessera_error, internal_error)])
    return app
