"""Server-rendered pages (Jinja2 + HTMX): one router assembled from the page modules."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from tessera.web import (
    attachments,
    audit,
    backlog,
    create,
    dashboard_edit,
    dashboards,
    deliveries,
    git_connections,
    issue_edit,
    issue_view,
    mail_in_settings,
    notification_settings,
    notifications,
    profile,
    projects,
    reports,
    search,
    signin,
    webhooks,
)

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
for module in (signin, projects, create, issue_view, issue_edit, search, attachments, dashboards, dashboard_edit,
               reports, notifications, notification_settings, webhooks, deliveries, audit, git_connections,
               mail_in_settings, profile, backlog):
    router.include_router(module.router)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
