"""Inline edits on the issue view: HTMX swaps one field between its display and its editor.

Every save sends the issue `version` the page was rendered with (the hidden #issue-version
input, refreshed out-of-band after each save), so a change made meanwhile by someone else
answers 409 with a message instead of being overwritten."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.issues.audience import assignable_users
from tessera.issues.inputs import IssueUpdate
from tessera.issues.security import settable_levels
from tessera.issues.service import access_issue, check_update_issue
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.web.issue_view import issue_view, version_of

router = APIRouter(route_class=WebRoute)
EDITABLE = ("summary", "description", "priority", "assignee", "security")


def validate_field(field: str) -> str:
    if field not in EDITABLE:
        raise NotFound(f"'{field[:50]}' is not a field that can be edited here.")
    return field


def _assignee_id(value: str) -> int | None:
    """The user picked in the assignee list (their id); the empty choice unassigns."""
    if not value:
        return None
    user_id = parse_id(value)
    if user_id is None:
        raise InvalidInput("Choose the assignee from the list.", field="assignee")
    return user_id


def update_for(field: str, value: str, version: int | None) -> IssueUpdate:
    """The IssueUpdate for one field; an empty assignee unassigns."""
    try:
        if field == "assignee":
            return IssueUpdate(assignee_id=_assignee_id(value), version=version)
        if field == "priority":
            return IssueUpdate(priority=value, version=version)
        if field == "summary":
            return IssueUpdate(summary=value.strip(), version=version)
        if field == "security":  # the empty choice clears the level
            return IssueUpdate(security_level=parse_id(value) or None, version=version)
        return IssueUpdate(description=value, version=version)
    except (ValidationError, ValueError):
        limit = "255" if field == "summary" else "131,068"
        raise InvalidInput(f"The {field} must not be empty and may have at most {limit} characters.",
                           field=field) from None


async def editor_values(web: Web, issue_key: str) -> dict[str, Any]:
    async with web.transaction(write=False) as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        values = await issue_view(session, actor, issue)
        values["users"] = await assignable_users(session, project, max_results=200)
        values["security_levels"] = await settable_levels(session, actor, project, issue)
    return values


@router.get("/browse/{issue_key}/fields/{field}")
async def show_field(issue_key: str, field: str, web: Web) -> Response:
    values = await editor_values(web, issue_key)
    return web.render("partials/field.html", field=validate_field(field), **values)


@router.get("/browse/{issue_key}/fields/{field}/edit")
async def edit_field(issue_key: str, field: str, web: Web) -> Response:
    values = await editor_values(web, issue_key)
    return web.render("partials/editor.html", field=validate_field(field), error=None, conflict=False, **values)


@router.post("/browse/{issue_key}/fields/{field}")
async def save_field(issue_key: str, field: str, web: Web) -> Response:
    validate_field(field)
    form = await web.form()
    value = form.get("value", "")
    try:
        async with web.transaction() as (session, actor):
            issue, project = await access_issue(session, actor, issue_key)
            data = update_for(field, value, version_of(form.get("version")))
            issue = await check_update_issue(session, actor=actor, issue=issue, project=project, data=data)
            values = await issue_view(session, actor, issue)
            values["security_levels"] = await settable_levels(session, actor, project, issue)
    except (Conflict, InvalidInput) as error:
        values = await editor_values(web, issue_key)
        conflict = isinstance(error, Conflict)
        return web.render("partials/editor.html", status_code=409 if conflict else 400, field=field,
                          error=error.message, error_data=error.data, conflict=conflict, sent=value,
                          **values)
    return web.render("partials/field.html", field=field, oob_version=True, **values)
