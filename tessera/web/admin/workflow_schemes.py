"""/admin/workflow-schemes: the organization's workflow schemes (which workflow each issue type
uses in the projects that use the scheme; unmapped types use its default workflow), creating
one and editing one's name, default and per-type mappings, through workflow.service as
/v2/workflow-schemes does. A project's scheme is chosen on its settings page (admin/projects.py),
which moves its issues (issues.workflow_migration.check_assign_scheme)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from tessera.issues.references import catalog_for
from tessera.projects.models import Project
from tessera.web.admin.forms import FORM_ERRORS, FormError, require_admin
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.workflow.service import access_scheme, check_save_scheme, list_schemes

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/workflow-schemes"
NOTICES = {"created": "The workflow scheme is created.", "saved": "The workflow scheme is saved."}


async def _render(web: Web, scheme_ref: str | None = None, *, status_code: int = 200, error: FormError | None = None,
                  form: dict[str, str] | None = None, notice: str = "") -> Response:
    """The list (`scheme_ref` None) or one scheme's page."""
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        catalog = await catalog_for(session, actor)
        scheme = await access_scheme(session, actor, scheme_ref[:20]) if scheme_ref is not None else None
        schemes = [scheme] if scheme is not None else await list_schemes(session, actor.organization_id)
        # Projects are few next to issues; only their keys and names, per scheme shown.
        rows = (await session.execute(select(Project.workflow_scheme_id, Project.key, Project.name).where(
            Project.organization_id == actor.organization_id,
            Project.workflow_scheme_id.in_([s.id for s in schemes])).order_by(Project.key))).all()
    used_by: dict[int, list[tuple[str, str]]] = {}
    for scheme_id, key, name in rows:
        used_by.setdefault(scheme_id, []).append((key, name))
    template = "admin/workflow_scheme.html" if scheme is not None else "admin/workflow_schemes.html"
    return web.render(template, status_code=status_code, scheme=scheme, schemes=schemes, used_by=used_by,
                      workflows={w.id: w for w in catalog.workflows}, issue_types=catalog.issue_types,
                      error=error, form=form or {}, notice=NOTICES.get(notice, ""), nav="admin-workflow-schemes")


@router.get(PAGE)
async def schemes_page(web: Web) -> Response:
    return await _render(web)


@router.post(PAGE)
async def create_scheme(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            catalog = await catalog_for(session, actor)
            scheme = await check_save_scheme(session, actor=actor, name=form.get("name", ""),
                                             description=form.get("description", "").strip(),
                                             default_workflow=form.get("default_workflow", ""), mappings={},
                                             issue_type_ids=[t.id for t in catalog.issue_types])
    except FORM_ERRORS as error:
        return await _render(web, status_code=error.status, error=FormError.of("create", error), form=form)
    return web.redirect(f"{PAGE}/{scheme.id}?done=created")


@router.get(PAGE + "/{workflow_scheme_id}")
async def scheme_page(workflow_scheme_id: str, web: Web, done: str = "") -> Response:
    return await _render(web, workflow_scheme_id, notice=done)


@router.post(PAGE + "/{workflow_scheme_id}")
async def save_scheme(workflow_scheme_id: str, web: Web) -> Response:
    """`name`, `description`, `default_workflow` and `type:<issue type id>` (a workflow, or empty
    for the default)."""
    form = await web.form()
    mappings: dict[str, object] = {name[5:]: ref for name, ref in form.items() if name.startswith("type:") and ref}
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            scheme = await access_scheme(session, actor, workflow_scheme_id[:20])
            catalog = await catalog_for(session, actor)
            await check_save_scheme(session, actor=actor, name=form.get("name", ""),
                                    description=form.get("description", "").strip(),
                                    default_workflow=form.get("default_workflow", ""), mappings=mappings,
                                    scheme=scheme, issue_type_ids=[t.id for t in catalog.issue_types])
    except FORM_ERRORS as error:
        return await _render(web, workflow_scheme_id, status_code=error.status, error=FormError.of("scheme", error),
                             form=form)
    return web.redirect(f"{PAGE}/{scheme.id}?done=saved")
