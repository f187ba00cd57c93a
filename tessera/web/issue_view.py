"""The issue view (Jira's /browse/KEY): fields, activity tabs, comments and workflow transitions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.catalog import load_catalog
from tessera.issues.comments import check_add_comment, list_comments
from tessera.issues.models import Issue
from tessera.issues.service import access_issue
from tessera.issues.transitions import available_transitions, check_transition_issue
from tessera.issues.views import render_issues
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.service import list_users, users_by_id
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute)
TABS = ("comments", "history")
COMMENTS_SHOWN = 200


def version_of(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


async def issue_view(session: AsyncSession, actor: Actor, issue: Issue) -> dict[str, Any]:
    catalog = await load_catalog(session, actor.organization_id)
    [view] = await render_issues(session, organization_id=actor.organization_id, issues=[issue], catalog=catalog,
                                 expand=frozenset({"changelog"}))
    fields = [(definition, view["custom_fields"].get(definition.key)) for definition in catalog.fields]
    view["custom_shown"] = [(d.name, v) for d, v in fields if v not in (None, [], "")]
    return {"issue": view, "catalog": catalog}


async def activity(session: AsyncSession, actor: Actor, issue: Issue) -> dict[str, Any]:
    comments, total = await list_comments(session, issue=issue, max_results=COMMENTS_SHOWN)
    authors = await users_by_id(session, actor.organization_id, {c.author_id for c in comments if c.author_id})
    return {"comments": comments, "comment_total": total, "authors": authors}


async def page_values(session: AsyncSession, actor: Actor, issue: Issue, project: Project) -> dict[str, Any]:
    values = await issue_view(session, actor, issue)
    values.update(await activity(session, actor, issue))
    values["transitions"] = await available_transitions(session, actor=actor, issue=issue, project=project)
    values["users"], _ = await list_users(session, actor, max_results=200)
    values["project"] = project
    return values


@router.get("/browse/{issue_key}")
async def issue_page(issue_key: str, web: Web, tab: str = "comments") -> Response:
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        values = await page_values(session, actor, issue, project)
    return web.render("issue.html", tab=tab if tab in TABS else "comments", nav="issues", **values)


@router.get("/browse/{issue_key}/activity")
async def activity_tab(issue_key: str, web: Web, tab: str = "comments") -> Response:
    async with web.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_key)
        values = await issue_view(session, actor, issue)
        values.update(await activity(session, actor, issue))
    return web.render("partials/activity.html", tab=tab if tab in TABS else "comments", **values)


@router.post("/browse/{issue_key}/comments")
async def add_comment(issue_key: str, web: Web) -> Response:
    form = await web.form()
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        await check_add_comment(session, actor=actor, issue=issue, project=project, body=form.get("body", ""))
        if not web.is_htmx:
            return web.redirect(f"/browse/{issue.key}")
        values = await issue_view(session, actor, issue)
        values.update(await activity(session, actor, issue))
    return web.render("partials/activity.html", tab="comments", **values)


def screen_fields(form: dict[str, str]) -> dict[str, object]:
    """Transition screen inputs are named `field.<name>`; empty ones are left out."""
    fields: dict[str, object] = {}
    for name, value in form.items():
        if name.startswith("field.") and value.strip():
            key = name.removeprefix("field.")
            fields[key] = value.split() if key in ("labels", "components", "fix_versions") else value.strip()
    return fields


@router.post("/browse/{issue_key}/transitions/{transition_id}")
async def transition(issue_key: str, transition_id: str, web: Web) -> Response:
    form = await web.form()
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        await check_transition_issue(session, actor=actor, issue=issue, project=project,
                                     transition_ref=transition_id, fields=screen_fields(form),
                                     comment=form.get("comment") or None,
                                     expected_version=version_of(form.get("version")))
    return web.redirect(f"/browse/{issue.key}")
