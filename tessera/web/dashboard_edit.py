"""Creating and editing dashboards in the browser: a new dashboard from the list page, then its
editor (owner only): name, description and columns; gadgets added, configured, moved and
removed; shares added and removed; the dashboard deleted.

Every form posts the dashboard `version` it was rendered with (a stale one is a 409 page). A
plain form answers with a redirect back to the editor; an HTMX one with the editor itself (the
page swaps `#dashboard-editor`). A rejected change shows the editor again with the message and
the values as typed, status 400."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.boards import list_boards
from tessera.db.refs import parse_int, parse_positive_int, parse_version
from tessera.errors import InvalidInput, NotFound, PermissionDenied
from tessera.jql.filters import list_filters
from tessera.jql.models import SHARE_TYPES
from tessera.projects.service import list_projects
from tessera.reports import dashboard_edits as edits
from tessera.reports.dashboards import (
    access_dashboard,
    check_create_dashboard,
    check_delete_dashboard,
    describe_dashboards,
)
from tessera.reports.gadgets import GADGET_TYPES, MAX_COLUMNS
from tessera.reports.models import Dashboard
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import PROJECT_ROLES
from tessera.tenancy.service import picker_users
from tessera.web.context import Web
from tessera.web.dashboards import dashboard_id_of
from tessera.web.errors import WebRoute
from tessera.web.gadget_forms import (
    ESTIMATES,
    LABELS,
    SETTINGS,
    STAT_FIELDS,
    config_from_form,
    form_field,
    form_values,
    gadget_type,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MAX_CHOICES = 200


def _version(form: dict[str, str]) -> int | None:
    return parse_version(form.get("version"))


def _columns_value(form: dict[str, str]) -> int | None:
    text = form.get("columns", "")
    if not text:
        return None
    columns = parse_positive_int(text, maximum=MAX_COLUMNS)
    if columns is None:
        raise InvalidInput(f"Columns is 1 to {MAX_COLUMNS}.", field="columns")
    return columns


def _column_index(form: dict[str, str]) -> int | None:
    """The form counts columns from 1, the layout from 0 (which checks the range). No column, or
    not a number: the first."""
    column = parse_positive_int(form.get("column"))
    return None if column is None else column - 1


def _title(form: dict[str, str]) -> str | None:
    return form.get("title", "").strip() or None


async def _owned(session: AsyncSession, actor: Actor, ref: str) -> Dashboard:
    dashboard = await access_dashboard(session, actor, dashboard_id_of(ref))
    if dashboard.owner_id != actor.user_id:
        raise PermissionDenied("Only the dashboard's owner may change it.")
    return dashboard


async def _choices(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    boards, _ = await list_boards(session, actor, board_type="scrum", max_results=MAX_CHOICES)
    filters, _ = await list_filters(session, actor, max_results=MAX_CHOICES)
    users = await picker_users(session, actor, max_results=MAX_CHOICES)
    return {"boards": boards, "filters": filters, "users": users, "projects": await list_projects(session, actor),
            "gadget_types": GADGET_TYPES, "settings": SETTINGS, "labels": LABELS, "stat_fields": STAT_FIELDS,
            "estimates": ESTIMATES, "share_types": SHARE_TYPES, "project_roles": PROJECT_ROLES,
            "max_columns": MAX_COLUMNS}


async def _render_editor(web: Web, ref: str, *, adding: str | None = None, error: Exception | None = None,
                         draft: dict[str, Any] | None = None) -> Response:
    """The editor page; with `error`, its message and the values of the form that failed."""
    async with web.transaction(write=False) as (session, actor):
        dashboard = await _owned(session, actor, ref)
        [details] = await describe_dashboards(session, actor, [dashboard])
        choices = await _choices(session, actor)
    columns = int(dashboard.layout.get("columns") or 1)
    laid_out: list[list[dict[str, Any]]] = [[] for _ in range(columns)]
    for gadget in edits.stacked([dict(g) for g in dashboard.layout.get("gadgets", [])], columns):
        laid_out[gadget["column"]].append({**gadget, "entered": form_values(gadget["config"])})
    message = getattr(error, "message", None)
    status = getattr(error, "status", 200) if error is not None else 200
    return web.render("dashboard_edit.html", status_code=status, dashboard=dashboard, details=details,
                      columns=laid_out, adding=adding if adding in GADGET_TYPES else None, error=message,
                      error_field=form_field(getattr(error, "field", None)), draft=draft or {}, nav="dashboards",
                      **choices)


async def _after_change(web: Web, ref: str) -> Response:
    if web.is_htmx:
        return await _render_editor(web, ref)
    return web.redirect(f"/dashboards/{dashboard_id_of(ref)}/edit")


async def _attempt(web: Web, ref: str, change, draft: dict[str, Any]) -> Response:  # type: ignore[no-untyped-def]
    """Run `change(session, actor, dashboard)` on the owner's dashboard; a refused change shows
    the editor again with its message and the draft values."""
    try:
        async with web.transaction() as (session, actor):
            dashboard = await _owned(session, actor, ref)
            await change(session, actor, dashboard)
    except InvalidInput as error:
        return await _render_editor(web, ref, error=error, draft=draft, adding=draft.get("adding"))
    return await _after_change(web, ref)


@router.post("/dashboards/new")
async def create_dashboard(web: Web) -> Response:
    form = await web.form()
    async with web.transaction() as (session, actor):
        dashboard = await check_create_dashboard(session, actor=actor, spec={
            "name": form.get("name", ""), "description": form.get("description", ""),
            "layout": {"columns": _columns_value(form) or 2, "gadgets": []}})
        new_id = dashboard.id
    return web.redirect(f"/dashboards/{new_id}/edit")


@router.get("/dashboards/{dashboard_ref}/edit")
async def edit_page(dashboard_ref: str, web: Web, add: str = "") -> Response:
    return await _render_editor(web, dashboard_ref, adding=add or None)


@router.post("/dashboards/{dashboard_ref}/details")
async def change_details(dashboard_ref: str, web: Web) -> Response:
    form = await web.form()

    async def change(session: AsyncSession, actor: Actor, dashboard: Dashboard) -> None:
        await edits.check_change_details(session, actor=actor, dashboard=dashboard, name=form.get("name", ""),
                                         description=form.get("description", ""), columns=_columns_value(form),
                                         version=_version(form))
    return await _attempt(web, dashboard_ref, change, {"details": form})


@router.post("/dashboards/{dashboard_ref}/gadgets")
async def add_gadget(dashboard_ref: str, web: Web) -> Response:
    form = await web.form()
    kind = gadget_type(form.get("type"))

    async def change(session: AsyncSession, actor: Actor, dashboard: Dashboard) -> None:
        await edits.check_add_gadget(
            session, actor=actor, dashboard=dashboard, kind=kind, title=_title(form), column=_column_index(form),
            config=config_from_form(kind, form), version=_version(form))
    return await _attempt(web, dashboard_ref, change, {"new": form, "adding": kind})


@router.post("/dashboards/{dashboard_ref}/gadgets/{gadget_id}")
async def change_gadget(dashboard_ref: str, gadget_id: str, web: Web) -> Response:
    form = await web.form()
    kind = gadget_type(form.get("type"))

    async def change(session: AsyncSession, actor: Actor, dashboard: Dashboard) -> None:
        await edits.check_change_gadget(session, actor=actor, dashboard=dashboard, gadget_id=gadget_id,
                                        title=_title(form), config=config_from_form(kind, form),
                                        version=_version(form))
    return await _attempt(web, dashboard_ref, change, {"gadget_id": gadget_id, "gadget": form})


@router.post("/dashboards/{dashboard_ref}/gadgets/{gadget_id}/move")
async def move_gadget(dashboard_ref: str, gadget_id: str, web: Web) -> Response:
    form = await web.form()

    async def change(session: AsyncSession, actor: Actor, dashboard: Dashboard) -> None:
        await edits.check_move_gadget(session, actor=actor, dashboard=dashboard, gadget_id=gadget_id,
                                      direction=form.get("direction", ""), version=_version(form))
    return await _attempt(web, dashboard_ref, change, {})


@router.post("/dashboards/{dashboard_ref}/gadgets/{gadget_id}/remove")
async def remove_gadget(dashboard_ref: str, gadget_id: str, web: Web) -> Response:
    form = await web.form()

    async def change(session: AsyncSession, actor: Actor, dashboard: Dashboard) -> None:
        await edits.check_remove_gadget(session, actor=actor, dashboard=dashboard, gadget_id=gadget_id,
                                        version=_version(form))
    return await _attempt(web, dashboard_ref, change, {})


def _share_from_form(form: dict[str, str]) -> dict[str, Any]:
    kind = form.get("share_type", "")
    if kind not in SHARE_TYPES:
        raise InvalidInput(f"Share with one of: {', '.join(SHARE_TYPES)}.", field="share_type")
    share: dict[str, Any] = {"type": kind}
    if kind in ("project", "project_role"):
        share["project_id"] = form.get("project_id", "")
    if kind == "project_role":
        share["role"] = form.get("role", "")
    if kind == "group":
        share["group"] = form.get("group", "")
    if kind == "user":
        share["user_id"] = form.get("user_id", "")
    return share


@router.post("/dashboards/{dashboard_ref}/shares")
async def add_share(dashboard_ref: str, web: Web) -> Response:
    form = await web.form()

    async def change(session: AsyncSession, actor: Actor, dashboard: Dashboard) -> None:
        [details] = await describe_dashboards(session, actor, [dashboard])
        await edits.check_add_share(session, actor=actor, details=details, share=_share_from_form(form),
                                    version=_version(form))
    return await _attempt(web, dashboard_ref, change, {"share": form})


@router.post("/dashboards/{dashboard_ref}/shares/{index}/remove")
async def remove_share(dashboard_ref: str, index: str, web: Web) -> Response:
    form = await web.form()
    position = parse_int(index)
    if position is None:
        raise NotFound("The dashboard has no such share.")

    async def change(session: AsyncSession, actor: Actor, dashboard: Dashboard) -> None:
        [details] = await describe_dashboards(session, actor, [dashboard])
        await edits.check_remove_share(session, actor=actor, details=details, index=position,
                                       version=_version(form))
    return await _attempt(web, dashboard_ref, change, {})


@router.post("/dashboards/{dashboard_ref}/delete")
async def delete_dashboard(dashboard_ref: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        dashboard = await access_dashboard(session, actor, dashboard_id_of(dashboard_ref), to_delete=True)
        await check_delete_dashboard(session, actor=actor, dashboard=dashboard)
    return web.redirect("/dashboards")
