"""Atlassian's API-gateway form of the builds and deployments APIs, for CI tools that use OAuth
2.0 client credentials (the Jenkins plugin, the HighwayThree GitHub Actions): they ask the site
for its cloud id (`GET /_edge/tenant_info`), exchange client credentials for a bearer token
(`POST /oauth/token`), then post to `/jira/builds/0.1/cloud/{cloudId}/bulk`. Such a tool whose
Atlassian host is pointed at Tessera (a fork, a base-URL setting, a proxy) works unchanged.

The client secret is a Tessera API token (an administrator's or a CI-scoped one), and the access
token answered is that same token: the client holds it already. One cloud id per server (from
its base URL): the token, not the id, says which organization a report belongs to."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.api.jira import devinfo
from tessera.api.jira.bodies import json_body
from tessera.api.jira.errors import install_jira_error_handlers, internal_error, tessera_error
from tessera.edge.authentication import attempt_guard
from tessera.edge.by_path import Edge, edge_mount
from tessera.edge.context import RequestContext, request_context
from tessera.edge.guard import RequestGuard
from tessera.errors import NotAuthenticated, PermissionDenied, TesseraError
from tessera.integrations.ci.submissions import CI_SCOPES, check_ci_submitter
from tessera.tenancy.auth import authenticate_token
from tessera.tenancy.token_scopes import check_token_scope

site_router = APIRouter(include_in_schema=False)
Ctx = Annotated[RequestContext, Depends(request_context)]
_CLOUD_SEGMENT = re.compile(r"^(/jira/(?:builds|deployments)/0\.1)/cloud/([^/]+)(/.*)$")
TOKEN_LIFETIME = 3600


def site_cloud_id(base_url: str) -> str:
    """Stable for a server: the same base URL always gives the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, base_url.rstrip("/")))


class CloudPath:
    """`/jira/builds/0.1/cloud/{cloudId}/…` is served as `/jira/builds/0.1/…` when the id is this
    site's; another id is left in the path, which then names nothing (404)."""

    def __init__(self, app: ASGIApp, cloud_id: str) -> None:
        self.app, self.cloud_id = app, cloud_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (match := _CLOUD_SEGMENT.match(scope.get("path", ""))) \
                and match.group(2) == self.cloud_id:
            path = match.group(1) + match.group(3)
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


def gateway_mount(state: Any) -> Mount:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state = state
    install_jira_error_handlers(app)
    app.include_router(devinfo.router)
    app.add_middleware(CloudPath, cloud_id=site_cloud_id(state.settings.base_url))
    app.add_middleware(RequestGuard, edges=[Edge("", tessera_error, internal_error)])
    return edge_mount("/jira", app)


@site_router.get("/_edge/tenant_info")
async def tenant_info(ctx: Ctx) -> dict[str, str]:
    return {"cloudId": site_cloud_id(ctx.settings.base_url)}


def _oauth_error(error: str, description: str, status: int) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


@site_router.post("/oauth/token")
async def oauth_token(request: Request, ctx: Ctx) -> JSONResponse:
    """Client credentials (RFC 6749 §4.4) as Atlassian takes them, as JSON or a form."""
    try:
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body: Any = dict(await request.form())
        else:
            body = await json_body(request)
    except TesseraError as error:
        return _oauth_error("invalid_request", error.message, 400)
    if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
        return _oauth_error("unsupported_grant_type", "Only grant_type client_credentials is supported.", 400)
    secret = body.get("client_secret")
    if not isinstance(secret, str) or not secret:
        return _oauth_error("invalid_request", "client_secret (a Tessera API token) is required.", 400)
    try:
        async with ctx.anonymous(write=False) as session:
            actor = await authenticate_token(session, secret, touch=False, guard=attempt_guard(request))
        check_token_scope(actor, CI_SCOPES)
        check_ci_submitter(actor)
    except (NotAuthenticated, PermissionDenied) as refusal:
        return _oauth_error("access_denied", refusal.message, 401 if isinstance(refusal, NotAuthenticated) else 403)
    return JSONResponse({"access_token": secret, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                         "scope": "read:jira-software write:jira-software"})
