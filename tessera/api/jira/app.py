"""The Jira-compatible API as its own ASGI app, mounted at /rest by create_app: its routes and
its error handlers (Jira's error shape) apply to /rest/* only, while /v2 keeps its own.
It shares the main app's state (settings, database, rate limiter, object store).

`/rest/api/latest/…` serves the same routes as `/rest/api/2/…` (the `jira` client uses it for
a few calls, e.g. assigning). `/rest/api/3/…` serves them too, in Jira Cloud's dialect
(tessera.api.jira.dialect: accountId users, Atlassian Document Format rich text). Its OpenAPI document is /rest/openapi.json. Other `/rest/…` APIs (Jira's webhooks) belong in this app too:
the mount answers every path under /rest."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from starlette.datastructures import State
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera import __version__
from tessera.api.jira import (
    agile,
    attachments,
    catalog,
    changelog,
    comments,
    dashboards,
    devinfo,
    epics,
    filters,
    groups,
    issue_security,
    issues,
    jql,
    links,
    meta,
    notify,
    permission_schemes,
    permissions,
    picker,
    projects,
    properties,
    search,
    sprints,
    transitions,
    users,
    watchers,
    webhooks,
    worklogs,
)
from tessera.api.jira.dialect import speak_cloud
from tessera.api.jira.errors import install_jira_error_handlers, internal_error, tessera_error
from tessera.api.jira.openapi import build_jira_openapi
from tessera.edge.by_path import Edge, edge_mount
from tessera.edge.guard import RequestGuard

# `meta` and `picker` first: /issue/createmeta and /issue/picker must win over /issue/{issue}.
CORE_ROUTERS = (meta, picker, users, issues, changelog, transitions, comments, watchers, worklogs, links, attachments,
                properties, notify, search, filters, jql, catalog, permission_schemes, issue_security, projects, groups,
                dashboards, permissions)


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


def jira_mount(state: State) -> Mount:
    """The Jira app mounted at /rest: every path under /rest belongs to it and its error shape."""
    return edge_mount("/rest", create_jira_app(state))


def create_jira_app(state: State) -> FastAPI:
    # Its own OpenAPI document at /rest/openapi.json, paths written in full (/rest/api/2/...).
    app = FastAPI(title="Tessera: Jira-compatible API", version=__version__, openapi_url="/openapi.json",
                  docs_url=None, redoc_url=None, root_path_in_servers=False)
    app.state = state
    install_jira_error_handlers(app)
    documented = [*(("/api/2", module.router) for module in CORE_ROUTERS),
                  *(("/agile/1.0", module.router) for module in (agile, sprints, epics)),
                  ("/auth/1", users.session_router), ("/applinks/latest", users.applinks_router),
                  ("/webhooks/1.0", webhooks.router), ("/greenhopper/1.0", agile.greenhopper_router),
                  ("", devinfo.router)]
    for prefix, router in documented:
        app.include_router(router, prefix=prefix)
    for module in CORE_ROUTERS:  # Jira Cloud's REST v3: the same operations in Cloud's dialect
        app.include_router(module.router, prefix="/api/3", dependencies=[Depends(speak_cloud)])
    for module in CORE_ROUTERS:  # /api/latest repeats /api/2: documented once
        app.include_router(module.router, prefix="/api/latest", include_in_schema=False)

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = build_jira_openapi(app, mounted_at="/rest")
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(IgnoreTrailingSlash)
    # Inside this app's own last resort, so a failure here is answered (in Jira's shape) by the guard.
    app.add_middleware(RequestGuard, edges=[Edge("", tessera_error, internal_error)])
    return app
