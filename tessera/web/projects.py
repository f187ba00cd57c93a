"""The project list and a project's issue list (filters and paging; HTMX swaps just the table)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.db.refs import parse_id, parse_positive_int
from tessera.issues.listing import UNASSIGNED, IssueFilter, list_project_issues
from tessera.issues.references import load_catalog
from tessera.issues.views import render_issues
from tessera.projects.service import access_project, list_projects
from tessera.tenancy.permissions import Permission, has_permission
from tessera.tenancy.service import picker_users, users_by_id
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute)
PAGE_SIZE = 25
CATEGORIES = (("", "All statuses"), ("todo", "To Do"), ("in_progress", "In Progress"), ("done", "Done"))
# What partials/issue_table.html shows of each issue: only these are built and read.
ISSUE_TABLE_KEYS = frozenset({"issue_type", "summary", "labels", "status", "priority", "assignee", "updated"})


MAX_PAGE = 99_999


def page_number(text: str | None) -> int:
    """The page a list shows: 1..MAX_PAGE; anything else (absent, 0, "١", 30 digits) is page 1."""
    return parse_positive_int(text, maximum=MAX_PAGE) or 1


@router.get("/projects")
async def projects_page(web: Web) -> Response:
    async with web.transaction() as (session, actor):
        projects = await list_projects(session, actor)
        leads = await users_by_id(session, actor.organization_id, {p.lead_id for p in projects if p.lead_id})
    return web.render("projects.html", projects=projects, leads=leads, nav="projects")


@router.get("/projects/{project_key}")
async def issues_page(project_key: str, web: Web, category: str = "", assignee: str = "", q: str = "",
                      page: str = "1") -> Response:
    number = page_number(page)
    q = q[:200]
    async with web.transaction() as (session, actor):
        project = await access_project(session, actor, project_key)
        assignee_ref: int | str | None = None
        if assignee == "me":
            assignee_ref = actor.user_id
        elif assignee == UNASSIGNED:
            assignee_ref = UNASSIGNED
        elif parse_id(assignee) is not None:
            assignee_ref = parse_id(assignee)
        criteria = IssueFilter(status_category=category or None, assignee=assignee_ref, text=q or None)
        issues, total = await list_project_issues(session, actor=actor, project=project, criteria=criteria,
                                                  start_at=(number - 1) * PAGE_SIZE, max_results=PAGE_SIZE)
        catalog = await load_catalog(session, actor.organization_id)
        rows = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=issues, catalog=catalog,
                                   only=ISSUE_TABLE_KEYS)
        users = await picker_users(session, actor, max_results=200)
        may_administer = await has_permission(session, actor, Permission.ADMINISTER_PROJECTS, project)
    filters = {"category": category, "assignee": assignee, "q": q}
    pages = max(1, -(-total // PAGE_SIZE))

    def page_url(target: int) -> str:
        query = urlencode({k: v for k, v in {**filters, "page": str(target)}.items() if v and v != "1"})
        return f"/projects/{project.key}" + (f"?{query}" if query else "")

    values = dict(project=project, rows=rows, total=total, page=number, pages=pages, page_url=page_url,
                  filters=filters, categories=CATEGORIES, users=users, nav="issues", may_administer=may_administer,
                  first=(number - 1) * PAGE_SIZE + 1 if total else 0, last=min(number * PAGE_SIZE, total))
    if web.is_htmx and web.request.headers.get("hx-target") == "issue-table":
        return web.render("partials/issue_table.html", **values)
    return web.render("issues.html", **values)
