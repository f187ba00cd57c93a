"""Editing a workflow from its page (admin/workflows.py): add a status, add a transition,
publish or discard the draft. Each edit is the whole definition saved as the workflow's draft
through workflow.service.check_save_draft, as PUT /v2/workflows/{id} does, so the definition's
own validation decides and its messages (with the path to the mistake) are shown at the form;
publishing is issues.workflow_migration.check_publish_workflow (a draft that drops a status
in use needs a status mapping: /v2/workflows/{id}/publish takes it)."""

from __future__ import annotations

import copy
import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.issues.references import catalog_for
from tessera.issues.workflow_migration import check_publish_workflow
from tessera.web.admin.forms import FORM_ERRORS, FormError, require_admin
from tessera.web.admin.workflows import PAGE, render_workflow
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.workflow.models import Workflow
from tessera.workflow.service import access_workflow, check_discard_draft, check_save_draft, to_portable

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _editable(workflow: Workflow, statuses: Any) -> dict[str, Any]:
    """The definition an edit starts from: the draft when there is one, else the published one."""
    if workflow.draft:
        return copy.deepcopy(workflow.draft["spec"])
    return to_portable(workflow, workflow.definition, statuses)


def _transition_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()[:24] or "transition"
    return next(candidate for candidate in (base, *(f"{base}_{n}" for n in range(2, 1000))) if candidate not in taken)


async def _edit(web: Web, workflow_ref: str, section: str, change: Any) -> Response:
    """`change(definition, form)` edits the definition in place; it is then saved as the draft."""
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            workflow = await access_workflow(session, actor, workflow_ref[:80])
            definition = _editable(workflow, (await catalog_for(session, actor)).statuses)
            change(definition, form)
            await check_save_draft(session, actor=actor, workflow=workflow, document=definition)
    except FORM_ERRORS as error:
        return await render_workflow(web, workflow_ref, draft=True, status_code=error.status,
                                     error=FormError.of(section, error), form=form)
    return web.redirect(f"{PAGE}/{workflow.key}?draft=1&done=saved")


def _add_transition(definition: dict[str, Any], *, name: str, source: str, target: str) -> None:
    taken = {str(t["id"]) for t in definition.get("transitions", [])}
    definition.setdefault("transitions", []).append({
        "id": _transition_id(name, taken), "name": name, "from": [source] if source else [], "to": target})


@router.post(PAGE + "/{workflow_ref}/statuses")
async def add_status(workflow_ref: str, web: Web) -> Response:
    """With the transition into it (`from`: a status, or empty for any status, as Jira's
    global transitions): every status must be reachable, and the definition checks it."""
    def change(definition: dict[str, Any], form: dict[str, str]) -> None:
        name = form.get("name", "").strip()
        definition["statuses"].append({"name": name, "category": form.get("category", "")})
        _add_transition(definition, name=name, source=form.get("from", "").strip(), target=name)

    return await _edit(web, workflow_ref, "status", change)


@router.post(PAGE + "/{workflow_ref}/transitions")
async def add_transition(workflow_ref: str, web: Web) -> Response:
    """`from`: one status, or empty for any status."""
    def change(definition: dict[str, Any], form: dict[str, str]) -> None:
        _add_transition(definition, name=form.get("name", "").strip(), source=form.get("from", "").strip(),
                        target=form.get("to", "").strip())

    return await _edit(web, workflow_ref, "transition", change)


@router.post(PAGE + "/{workflow_ref}/publish")
async def publish(workflow_ref: str, web: Web) -> Response:
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            workflow = await access_workflow(session, actor, workflow_ref[:80])
            await check_publish_workflow(session, actor=actor, workflow=workflow, status_mapping={})
    except FORM_ERRORS as error:
        return await render_workflow(web, workflow_ref, draft=True, status_code=error.status,
                                     error=FormError.of("publish", error))
    return web.redirect(f"{PAGE}/{workflow.key}?done=published")


@router.post(PAGE + "/{workflow_ref}/discard")
async def discard(workflow_ref: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        require_admin(actor)
        workflow = await access_workflow(session, actor, workflow_ref[:80])
        await check_discard_draft(session, actor=actor, workflow=workflow)
    return web.redirect(f"{PAGE}/{workflow.key}?done=discarded")
