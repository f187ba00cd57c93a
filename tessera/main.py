"""The composition root: `create_app(settings)` wires storage, services and transports."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tessera import __version__
from tessera.api.graphql import errors as graphql_errors
from tessera.api.graphql.router import create_router as create_graphql_router
from tessera.api.jira import attachment_zip as jira_attachment_zip
from tessera.api.jira import attachments as jira_attachments
from tessera.api.jira import errors as jira_errors
from tessera.api.jira.app import jira_mount
from tessera.api.jira.gateway import gateway_mount, site_router
from tessera.api.rest import errors as rest_errors
from tessera.api.rest.docs_page import install_docs
from tessera.api.rest.errors import install_error_handlers
from tessera.api.rest.openapi import build_openapi
from tessera.api.rest.responses.common import HealthOut, ok
from tessera.api.rest.routers import (
    agile,
    attachments,
    audit,
    catalog,
    ci,
    comments,
    dashboards,
    deliveries,
    filters,
    gdpr,
    integrations_git,
    issue_security,
    issues,
    live,
    mail_in,
    notifications,
    permission_schemes,
    projects,
    push,
    reports,
    search,
    slack,
    users,
    watch,
    webhooks,
    workflows,
)
from tessera.audit.chain import install_audit_log
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.statistics import StatisticsKeeper
from tessera.edge.body_limit import BodySizeLimit
from tessera.edge.by_path import Edge
from tessera.edge.early_refusal import EarlyRefusal
from tessera.edge.guard import RequestGuard
from tessera.edge.input_check import InputCheck
from tessera.edge.metrics import ProcessMetrics
from tessera.edge.metrics_endpoint import METRICS_PATH, metrics_endpoint
from tessera.integrations.development_facts import install_development_facts
from tessera.issues.attachments.storage import object_store_from_settings
from tessera.live.hub import LiveHub
from tessera.reports.dashboard_cache import GadgetCache
from tessera.tenancy.auth import PrincipalCache
from tessera.tenancy.limits import RateLimiter
from tessera.tenancy.throttle import LoginThrottle
from tessera.web import attachments as web_attachments
from tessera.web import board as web_board
from tessera.web import errors as web_errors
from tessera.web import pages as web_pages
from tessera.web.headers import SecurityHeaders
from tessera.workers.pipeline import InProcessWorker
from tessera.workers.registry import build_pipeline
from tessera.workflow.rules.plugins import load_plugins

# HTML pages of tools we serve but do not write, which start their code with an inline script, and
# the origins their code comes from: none but this site's (their assets are in /static/vendor).
TOOL_PAGES: dict[str, tuple[str, ...]] = {"/graphql": (), "/docs": ()}
DESCRIPTION = """Tessera's native API. Authenticate with `Authorization: Bearer <api token>` or
Basic `email:api_token`. Errors are JSON: `{"error": {"code", "message", "field", ...}}`."""

# Where each edge starts, and how it renders what the middleware refuses or a failure; the pages
# ("") take every other path.
EDGES = (Edge("/rest", jira_errors.tessera_error, jira_errors.internal_error),
         Edge(jira_attachment_zip.PREFIX, jira_errors.tessera_error, jira_errors.internal_error),
         Edge("/graphql", graphql_errors.refused, graphql_errors.failed),
         Edge("/v2", rest_errors.tessera_error, rest_errors.internal_error),
         Edge("", web_errors.refused, web_errors.failed))


def _redis_client(url: str | None):  # type: ignore[no-untyped-def]
    if not url:
        return None
    import redis.asyncio as redis

    return redis.from_url(url)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    load_plugins()
    install_development_facts()
    database = Database(settings)
    install_audit_log(database)
    redis = _redis_client(settings.redis_url)
    live_hub = LiveHub.for_settings(settings, database)
    database.on_commit(live_hub.publish_committed)
    dashboard_cache = GadgetCache(redis=redis, prefix=settings.live_channel_prefix)
    database.on_commit(dashboard_cache.on_commit)
    principals = PrincipalCache(ttl=settings.auth_cache_seconds)
    database.on_commit(principals.on_commit)
    live_hub.principal_listeners.append(lambda organization_id: principals.forget_organizations({organization_id}))
    object_store = object_store_from_settings(settings)
    metrics = ProcessMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await database.check_row_security()
        await live_hub.start()
        await dashboard_cache.start()
        # Large reports build ~10^5 objects at once, which sets off full garbage collections that
        # scan every object of the process. Freezing what exists after start-up (modules, routes,
        # models: ~200,000 objects) takes those out of every scan: a velocity report over 13 busy
        # sprints went from 1.0 s to 0.45 s (bench/dashboard.py).
        gc.collect()
        gc.freeze()
        worker = (InProcessWorker(build_pipeline(settings, database, observer=metrics))
                  if settings.run_worker_in_server else None)
        statistics = (StatisticsKeeper(database, every=settings.statistics_refresh_seconds)
                      if database.is_sqlite else None)
        app.state.statistics = statistics
        yield
        if worker is not None:
            await worker.stop()
        if statistics is not None:
            await statistics.stop()
        await dashboard_cache.stop()
        await live_hub.stop()
        await database.dispose()
        await object_store.aclose()
        if redis is not None:
            await redis.aclose()

    app = FastAPI(title="Tessera", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/v2/openapi.json", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.database = database
    app.state.limiter = RateLimiter(redis, prefix=settings.live_channel_prefix)
    app.state.principals = principals
    app.state.login_throttle = LoginThrottle.for_settings(settings, redis)
    app.state.live_hub = live_hub
    app.state.dashboard_cache = dashboard_cache
    app.state.object_store = object_store
    app.state.metrics = metrics
    install_error_handlers(app)
    for module in (issues, comments, watch, attachments, projects, users, catalog, workflows, filters, search, live,
                   agile, reports, dashboards, push, deliveries, notifications, slack, webhooks,
                   integrations_git, mail_in, ci, audit, gdpr, permission_schemes, issue_security):
        app.include_router(module.router)
    app.router.routes.append(jira_mount(app.state))  # the Jira-compatible API, with Jira's error shape
    app.router.routes.append(jira_attachment_zip.secure_mount(app.state))  # Jira's /secure download URLs
    # Atlassian's gateway form of the builds and deployments APIs, and what its OAuth clients ask first.
    app.router.routes.append(gateway_mount(app.state))
    app.include_router(site_router)
    app.include_router(create_graphql_router())
    app.include_router(web_pages.router)
    app.include_router(web_board.router)
    web_pages.mount_static(app)
    install_docs(app)

    @app.get("/healthz", tags=["ops"], responses=ok(HealthOut))
    async def healthz() -> dict:
        return {"status": "ok", "version": __version__, "database": database.dialect}

    # Prometheus's scrape target (tessera.edge.metrics_endpoint says who may read it); not an API
    # operation, so not in the OpenAPI document.
    app.add_route(METRICS_PATH, metrics_endpoint, methods=["GET"], include_in_schema=False)

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    # Uploads may carry one attachment at its size limit (plus multipart framing).
    upload_bytes = settings.attachment_max_bytes + attachments.MULTIPART_OVERHEAD
    # Outermost last: sizes are checked before inputs are read; the guard sees every response, and the
    # security headers go on every response, the guard's 500 page included.
    app.add_middleware(InputCheck, edges=EDGES)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes,
                       overrides=[(attachments.UPLOAD_PATH, upload_bytes), (web_attachments.UPLOAD_PATH, upload_bytes),
                                  (jira_attachments.UPLOAD_PATH, upload_bytes)])
    # A tenant past its rate limit is refused here, before sizes, inputs, routing and
    # authentication cost anything (tessera.edge.early_refusal); its 429s still carry a request id.
    app.add_middleware(EarlyRefusal, edges=EDGES, limiter=app.state.limiter, principals=principals,
                       delay=settings.rate_limit_refusal_delay_ms / 1000)
    app.add_middleware(RequestGuard, edges=EDGES, metrics=metrics)
    app.add_middleware(SecurityHeaders, hsts=settings.session_cookie_secure, tool_pages=TOOL_PAGES)
    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory tessera.main:app_factory`: settings from the environment."""
    return create_app(Settings.from_env())
