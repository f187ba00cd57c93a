"""/admin/fields: the organization's custom fields (type, options, and the context each applies
in: some projects and issue types, or all of them), creating one, and one field's page to rename
it, change its context and add options, through projects.custom_fields as /v2/fields does.
Which fields a transition asks for is its screen, edited with the workflow
(admin/workflow_editor.py)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.db.refs import parse_id, require_id
from tessera.issues.references import catalog_for
from tessera.projects.custom_fields import (
    access_field_definition,
    check_add_option,
    check_create_field,
    check_update_field,
    list_options,
)
from tessera.projects.models import CUSTOM_FIELD_TYPES
from tessera.projects.service import list_projects
from tessera.web.admin.forms import FORM_ERRORS, FormError, require_admin
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/fields"
MISSING = "Custom field not found."
TYPE_NAMES = {"number": "Number", "text": "Text", "select": "Select list (one)", "multi_select": "Select list (many)",
              "date": "Date", "user": "User picker", "sprint": "Sprint"}
NOTICES = {"created": "The custom field is created.", "saved": "The custom field is saved.",
           "option": "The option is added."}


def _chosen(form: dict[str, str], prefix: str) -> list[int]:
    """Checkboxes named `<prefix><id>`: a form keeps one value per name, so each choice has its own."""
    return sorted({number for name in form if name.startswith(prefix)
                   if (number := parse_id(name[len(prefix):])) is not None})


async def _render(web: Web, field_ref: str | None = None, *, status_code: int = 200, error: FormError | None = None,
                  form: dict[str, str] | None = None, notice: str = "") -> Response:
    """The list (`field_ref` None) or one field's page."""
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        catalog = await catalog_for(session, actor)
        field = (await access_field_definition(session, actor, require_id(field_ref, not_found=MISSING))
                 if field_ref is not None else None)
        fields = [field] if field is not None else list(catalog.fields)
        options = await list_options(session, actor.organization_id, [f.id for f in fields])
        projects = await list_projects(session, actor, include_archived=True)
    keys = {p.id: p.key for p in projects}
    type_names = {t.id: t.name for t in catalog.issue_types}
    contexts = {f.id: "; ".join((
        ", ".join(keys.get(i, "?") for i in f.project_ids) if f.project_ids else "All projects",
        ", ".join(type_names.get(i, "?") for i in f.issue_type_ids) if f.issue_type_ids else "all issue types"))
        for f in fields}
    template = "admin/custom_field.html" if field is not None else "admin/custom_fields.html"
    return web.render(template, status_code=status_code, field=field, fields=fields, options=options,
                      contexts=contexts,
                      projects={p.id: p for p in projects}, issue_types={t.id: t for t in catalog.issue_types},
                      type_names=TYPE_NAMES, types=CUSTOM_FIELD_TYPES, error=error, form=form or {},
                      notice=NOTICES.get(notice, ""), nav="admin-fields")


@router.get(PAGE)
async def fields_page(web: Web) -> Response:
    return await _render(web)


@router.post(PAGE)
async def create_field(web: Web) -> Response:
    """`options`: one a line, for select fields."""
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            field = await check_create_field(
                session, actor=actor, key=form.get("key", "").strip() or None, name=form.get("name", ""),
                field_type=form.get("field_type", ""), description=form.get("description", "").strip(),
                options=[line.strip() for line in form.get("options", "").splitlines() if line.strip()],
                project_ids=_chosen(form, "project:"), issue_type_ids=_chosen(form, "type:"))
    except FORM_ERRORS as error:
        return await _render(web, status_code=error.status, error=FormError.of("create", error), form=form)
    return web.redirect(f"{PAGE}/{field.id}?done=created")


@router.get(PAGE + "/{custom_field_id}")
async def field_page(custom_field_id: str, web: Web, done: str = "") -> Response:
    return await _render(web, custom_field_id, notice=done)


@router.post(PAGE + "/{custom_field_id}")
async def save_field(custom_field_id: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            field = await access_field_definition(session, actor, require_id(custom_field_id, not_found=MISSING))
            await check_update_field(session, actor=actor, definition=field, name=form.get("name", ""),
                                     description=form.get("description", "").strip(),
                                     project_ids=_chosen(form, "project:"), issue_type_ids=_chosen(form, "type:"))
    except FORM_ERRORS as error:
        return await _render(web, custom_field_id, status_code=error.status, error=FormError.of("field", error),
                             form=form)
    return web.redirect(f"{PAGE}/{field.id}?done=saved")


@router.post(PAGE + "/{custom_field_id}/options")
async def add_option(custom_field_id: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            field = await access_field_definition(session, actor, require_id(custom_field_id, not_found=MISSING))
            await check_add_option(session, actor=actor, definition=field, value=form.get("value", ""))
    except FORM_ERRORS as error:
        return await _render(web, custom_field_id, status_code=error.status, error=FormError.of("option", error),
                             form=form)
    return web.redirect(f"{PAGE}/{field.id}?done=option")
