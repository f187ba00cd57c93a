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
    invitation,
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
from tessera.web.admin import custom_fields as admin_custom_fields
from tessera.web.admin import groups as admin_groups
from tessera.web.admin import issue_security as admin_issue_security
from tessera.web.admin import organization as admin_organization
from tessera.web.admin import permissions as admin_permissions
from tessera.web.admin import project_parts as admin_project_parts
from tessera.web.admin import projects as admin_projects
from tessera.web.admin import users as admin_users
from tessera.web.admin import workflow_editor as admin_workflow_editor
from tessera.web.admin import workflow_schemes as admin_workflow_schemes
from tessera.web.admin import workflows as admin_workflows

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
for module in (signin, projects, create, issue_view, issue_edit, search, attachments, dashboards, dashboard_edit,
               reports, notifications, notification_settings, webhooks, deliveries, audit, git_connections,
               mail_in_settings, profile, invitation, admin_users, admin_groups, admin_organization, admin_projects,
               admin_project_parts, admin_permissions, admin_issue_security, admin_workflows, admin_workflow_editor,
               admin_workflow_schemes, admin_custom_fields, backlog):
    router.include_router(module.router)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
