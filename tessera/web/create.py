"""The create-issue form: project, type, summary, description, priority, assignee, labels and the
custom fields of the project (and issue type; static/create.js shows only those that apply). The
same form is the page /issues/new and, fetched with `?dialog=1`, the body of the create dialog
that `c` opens on any page (static/create.js); in the dialog it posts with HTMX and a refusal
comes back in place, the input kept and the field marked."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.inputs.text import validate_text
from tessera.issues.creation import check_create_issue
from tessera.issues.inputs import IssueCreate
from tessera.issues.references import load_catalog
from tessera.issues.security import settable_levels
from tessera.projects.service import list_projects
from tessera.tenancy.actor import Actor
from tessera.tenancy.service import picker_users
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute)
FIELDS = ("project", "issue_type", "summary", "description", "priority", "assignee", "labels", "security_level")


def parse_labels(text: str) -> list[str]:
    return [label for label in re.split(r"[\s,]+", text) if label]


CUSTOM_PREFIX = "cf."


def issue_input(form: dict[str, str], custom: dict[str, Any] | None = None) -> IssueCreate:
    """`custom`: custom field values by field key (a list for a multi-select), empty ones left out."""
    assignee = form.get("assignee", "").strip()
    values: dict[str, Any] = {
        "project_id": form.get("project", "").strip(), "issue_type": form.get("issue_type", "").strip(),
        "summary": form.get("summary", "").strip(), "description": form.get("description", ""),
        "labels": parse_labels(form.get("labels", "")),
        "custom_fields": {key: value for key, value in (custom or {}).items() if value not in ("", [])},
    }
    if form.get("priority"):
        values["priority"] = form["priority"]
    if assignee:
        values["assignee_id"] = parse_id(assignee) or assignee
    if form.get("security_level", "").strip():  # left empty: the project's default level
        values["security_level"] = parse_id(form["security_level"]) or form["security_level"].strip()
    try:
        return IssueCreate(**values)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "summary"
        messages = {"summary": "A summary is required (at most 255 characters).",
                    "project_id": "Choose a project.", "issue_type": "Choose an issue type.",
                    "labels": "Labels are at most 255 characters each, and at most 100 of them."}
        raise InvalidInput(messages.get(field, f"{field}: {first.get('msg', 'invalid value')}"),
                           field=field) from None


async def form_choices(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    catalog = await load_catalog(session, actor.organization_id)
    users = await picker_users(session, actor, max_results=200)
    projects = await list_projects(session, actor)
    # The levels the user may set, by project: the form offers the select only when there are some.
    levels = {p.key: found for p in projects if p.issue_security_scheme_id is not None
              and (found := await settable_levels(session, actor, p))}
    return {"projects": projects, "users": users, "security_levels": levels,
            "issue_types": [t for t in catalog.issue_types if not t.subtask],
            "priorities": catalog.priorities, "default_priority": catalog.default_priority.name,
            "custom_fields": [f for f in catalog.fields if f.field_type != "sprint"],
            "field_options": {f.id: [o for o in catalog.options.get(f.id, []) if not o.disabled]
                              for f in catalog.fields}}


async def _custom_values(web: Web) -> dict[str, Any]:
    """The posted custom fields by key: a multi-select's every checked value, else the text."""
    data = await web.request.form()
    found: dict[str, Any] = {}
    for name in dict.fromkeys(data.keys()):
        if name.startswith(CUSTOM_PREFIX):
            values = [validate_text(v, field=name) for v in data.getlist(name) if isinstance(v, str)]
            found[name[len(CUSTOM_PREFIX):]] = values if name.endswith("[]") else (values[-1] if values else "")
    return {key.removesuffix("[]"): value for key, value in found.items()}


def _template(dialog: bool) -> str:
    return "partials/create_form.html" if dialog else "create.html"


@router.get("/issues/new")
async def create_form(web: Web, project: str = "", dialog: str = "") -> Response:
    async with web.transaction() as (session, actor):
        choices = await form_choices(session, actor)
    values = {"project": project.upper(), "issue_type": "Task", "priority": choices["default_priority"]}
    return web.render(_template(bool(dialog)), form=values, custom={}, error=None, nav="create", dialog=bool(dialog),
                      **choices)


@router.post("/issues/new")
async def create_issue(web: Web) -> Response:
    form = await web.form()
    custom = await _custom_values(web)
    dialog = form.get("dialog") == "1"
    try:
        async with web.transaction() as (session, actor):
            issue = await check_create_issue(session, actor=actor, data=issue_input(form, custom))
            key = issue.key
    except InvalidInput as error:
        async with web.transaction(write=False) as (session, actor):
            choices = await form_choices(session, actor)
        return web.render(_template(dialog), status_code=400, form={k: form.get(k, "") for k in FIELDS},
                          custom=custom, error=error.message, error_field=error.field, nav="create", dialog=dialog,
                          **choices)
    return web.redirect(f"/browse/{key}")
