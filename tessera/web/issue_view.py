"""The issue view (Jira's /browse/KEY): fields, activity tabs, threaded comments (reply, edit,
delete), watch and vote buttons, and workflow transitions.

Comment, watch and vote forms post with the page's CSRF token; under HTMX each answers with the
part of the page it changed (the activity section, the watch/vote panel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_version
from tessera.integrations.development import development_of
from tessera.issues.audience import assignable_users
from tessera.issues.comments.service import (
    access_comment,
    check_add_comment,
    check_delete_comment,
    check_edit_comment,
    list_comments,
)
from tessera.issues.comments.views import render_comments, thread_order
from tessera.issues.models import Issue
from tessera.issues.references import load_catalog
from tessera.issues.security import settable_levels
from tessera.issues.service import access_issue
from tessera.issues.transitions import available_transitions, check_transition_issue
from tessera.issues.views import render_issues
from tessera.issues.watchers.service import (
    check_unvote,
    check_unwatch,
    check_vote,
    check_watch,
    votes_view,
    watchers_view,
)
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import PROJECT_ROLES
from tessera.tenancy.permissions import Permission, has_permission, load_project_roles
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute)
TABS = ("comments", "history")
COMMENTS_SHOWN = 200
MAX_INDENT = 6


def version_of(text: str | None) -> int | None:
    """The version a form echoes back; anything that is not one means "no check"."""
    return parse_version(text)


async def issue_view(session: AsyncSession, actor: Actor, issue: Issue) -> dict[str, Any]:
    catalog = await load_catalog(session, actor.organization_id)
    [view] = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=[issue], catalog=catalog,
                                 expand=frozenset({"changelog"}))
    fields = [(definition, view["custom_fields"].get(definition.key)) for definition in catalog.fields]
    view["custom_shown"] = [(d.name, v) for d, v in fields if v not in (None, [], "")]
    return {"issue": view, "catalog": catalog}


async def activity(session: AsyncSession, actor: Actor, issue: Issue, project: Project) -> dict[str, Any]:
    comments, total = await list_comments(session, actor=actor, issue=issue, project=project,
                                          max_results=COMMENTS_SHOWN)
    views = await render_comments(session, actor.organization_id, comments)
    may = {permission: await has_permission(session, actor, permission, project, issue) for permission in (
        Permission.ADD_COMMENTS, Permission.EDIT_OWN_COMMENTS, Permission.EDIT_ALL_COMMENTS,
        Permission.DELETE_OWN_COMMENTS, Permission.DELETE_ALL_COMMENTS)}
    for view in views:
        own = view["author"] is not None and view["author"]["id"] == actor.user_id
        view["can_edit"] = not view["deleted"] and (
            (own and may[Permission.EDIT_OWN_COMMENTS]) or may[Permission.EDIT_ALL_COMMENTS])
        view["can_delete"] = not view["deleted"] and (
            (own and may[Permission.DELETE_OWN_COMMENTS]) or may[Permission.DELETE_ALL_COMMENTS])
        view["can_reply"] = not view["deleted"] and may[Permission.ADD_COMMENTS]
    held = () if actor.is_org_admin else await load_project_roles(session, actor, project.id)
    roles = PROJECT_ROLES if actor.is_org_admin else tuple(r for r in PROJECT_ROLES if r in held)
    thread = [(view, min(depth, MAX_INDENT)) for view, depth in thread_order(views, roots_newest_first=True)]
    return {"thread": thread, "comment_total": total, "may_comment": may[Permission.ADD_COMMENTS],
            "comment_roles": roles}


async def watch_vote(session: AsyncSession, actor: Actor, issue: Issue) -> dict[str, Any]:
    return {"watching": await watchers_view(session, actor=actor, issue=issue),
            "voting": await votes_view(session, actor=actor, issue=issue),
            "can_vote": issue.resolution_id is None and issue.reporter_id != actor.user_id}


async def page_values(session: AsyncSession, actor: Actor, issue: Issue, project: Project) -> dict[str, Any]:
    values = await issue_view(session, actor, issue)
    values.update(await activity(session, actor, issue, project))
    values.update(await watch_vote(session, actor, issue))
    values["transitions"] = await available_transitions(session, actor=actor, issue=issue, project=project)
    values["users"] = await assignable_users(session, project, max_results=200)  # the assignee pickers'
    values["project"] = project
    values["development"] = await development_of(session, actor, issue)
    values["security_levels"] = await settable_levels(session, actor, project, issue)
    return values


@router.get("/browse/{issue_key}")
async def issue_page(issue_key: str, web: Web, tab: str = "comments") -> Response:
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        values = await page_values(session, actor, issue, project)
    return web.render("issue.html", tab=tab if tab in TABS else "comments", nav="issues", **values)


async def _activity_response(web: Web, issue_key: str, tab: str = "comments") -> Response:
    async with web.transaction(write=False) as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        values = await issue_view(session, actor, issue)
        values.update(await activity(session, actor, issue, project))
    return web.render("partials/activity.html", tab=tab if tab in TABS else "comments", **values)


@router.get("/browse/{issue_key}/activity")
async def activity_tab(issue_key: str, web: Web, tab: str = "comments") -> Response:
    return await _activity_response(web, issue_key, tab)


def _visibility(form: dict[str, str]) -> dict | None:
    role = form.get("visibility", "").strip()
    return {"type": "role", "value": role} if role else None


async def _after_comment_change(web: Web, issue: Issue) -> Response:
    if not web.is_htmx:
        return web.redirect(f"/browse/{issue.key}")
    return await _activity_response(web, issue.key)


@router.post("/browse/{issue_key}/comments")
async def add_comment(issue_key: str, web: Web) -> Response:
    form = await web.form()
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        await check_add_comment(session, actor=actor, issue=issue, project=project, body=form.get("body", ""),
                                parent_id=form.get("parent_id") or None, visibility=_visibility(form))
    return await _after_comment_change(web, issue)


@router.get("/browse/{issue_key}/comments/{comment_id}/form")
async def comment_form(issue_key: str, comment_id: str, web: Web, mode: str = "reply") -> Response:
    """The reply or edit form of one comment, fetched when asked for (the POST decides permission)."""
    async with web.transaction(write=False) as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        comment = await access_comment(session, actor, issue, project, comment_id)
        [view] = await render_comments(session, actor.organization_id, [comment])
    return web.render("partials/comment_form.html", mode="edit" if mode == "edit" else "reply", comment=view,
                      issue_key=issue.key)


@router.post("/browse/{issue_key}/comments/{comment_id}/edit")
async def edit_comment(issue_key: str, comment_id: str, web: Web) -> Response:
    form = await web.form()
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        comment = await access_comment(session, actor, issue, project, comment_id)
        await check_edit_comment(session, actor=actor, issue=issue, project=project, comment=comment,
                                 body=form.get("body", ""), expected_version=version_of(form.get("version")))
    return await _after_comment_change(web, issue)


@router.post("/browse/{issue_key}/comments/{comment_id}/delete")
async def delete_comment(issue_key: str, comment_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        comment = await access_comment(session, actor, issue, project, comment_id)
        await check_delete_comment(session, actor=actor, issue=issue, project=project, comment=comment)
    return await _after_comment_change(web, issue)


@router.post("/browse/{issue_key}/watch")
async def toggle_watch(issue_key: str, web: Web) -> Response:
    form = await web.form()
    change = check_unwatch if form.get("action") == "unwatch" else check_watch
    return await _toggle(issue_key, web, change, with_project=True)


@router.post("/browse/{issue_key}/vote")
async def toggle_vote(issue_key: str, web: Web) -> Response:
    form = await web.form()
    change = check_unvote if form.get("action") == "unvote" else check_vote
    return await _toggle(issue_key, web, change, with_project=False)


async def _toggle(issue_key: str, web: Web, change: Callable[..., Awaitable[None]], *, with_project: bool) -> Response:
    """A watch or vote change; HTMX gets the refreshed watch/vote partial, a plain form a redirect."""
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        await change(session, actor=actor, issue=issue, **({"project": project} if with_project else {}))
        if not web.is_htmx:
            return web.redirect(f"/browse/{issue.key}")
        values = await watch_vote(session, actor, issue)
    return web.render("partials/watch_vote.html", issue={"key": issue.key}, **values)


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
