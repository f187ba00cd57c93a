"""Editing a workflow from its page (admin/workflows.py): add or remove a status, add or remove
a transition, add or remove a transition's conditions, validators and post-functions (the kinds
the workflow's rule registries hold, with their params as JSON) and choose whether all or any
condition must pass; publish or discard the draft. Each edit is the whole definition saved as the
workflow's draft through workflow.service.check_save_draft, as PUT /v2/workflows/{id} does, so
the definition's own validation decides and its messages (with the path to the mistake) are
shown at the form; publishing is issues.workflow_migration.check_publish_workflow, with the
status mapping the page asks for when the draft drops statuses that hold issues."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.errors import InvalidInput
from tessera.issues.references import catalog_for
from tessera.issues.workflow_migration import check_publish_workflow
from tessera.web.admin.forms import FORM_ERRORS, FormError, require_admin
from tessera.web.admin.workflows import PAGE, render_workflow
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.workflow.definition import REGISTRIES
from tessera.workflow.models import Workflow
from tessera.workflow.service import access_workflow, check_discard_draft, check_save_draft, to_portable

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PARAMS_CHARS = 4000


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


@router.post(PAGE + "/{workflow_ref}/statuses/remove")
async def remove_status(workflow_ref: str, web: Web) -> Response:
    """With the transitions into it; a transition from it and other statuses keeps the others.
    Its issues move on publish, to the status the publish form maps it to."""
    def change(definition: dict[str, Any], form: dict[str, str]) -> None:
        name = form.get("name", "").strip().casefold()
        if not any(s["name"].casefold() == name for s in definition["statuses"]):
            raise InvalidInput(f"The draft has no status '{form.get('name', '')[:64]}'.", field="name")
        definition["statuses"] = [s for s in definition["statuses"] if s["name"].casefold() != name]
        kept = []
        for transition in definition.get("transitions", []):
            sources = [s for s in transition.get("from", []) if s.casefold() != name]
            if transition["to"].casefold() == name or (transition.get("from") and not sources):
                continue  # into it, or only from it (an empty list would mean "from any status")
            kept.append({**transition, "from": sources})
        definition["transitions"] = kept

    return await _edit(web, workflow_ref, "remove-status", change)


def _transition(definition: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    wanted = form.get("transition", "")
    found = next((t for t in definition.get("transitions", []) if str(t["id"]) == wanted), None)
    if found is None:
        raise InvalidInput(f"The draft has no transition '{wanted[:32]}'.", field="transition")
    return found


@router.post(PAGE + "/{workflow_ref}/transitions/remove")
async def remove_transition(workflow_ref: str, web: Web) -> Response:
    def change(definition: dict[str, Any], form: dict[str, str]) -> None:
        removed = _transition(definition, form)
        definition["transitions"] = [t for t in definition["transitions"] if t is not removed]

    return await _edit(web, workflow_ref, "remove-transition", change)


def _group(form: dict[str, str]) -> str:
    group = form.get("group", "")
    if group not in REGISTRIES:
        raise InvalidInput(f"'{group[:32]}' is not one of {', '.join(REGISTRIES)}.", field="group")
    return group


@router.post(PAGE + "/{workflow_ref}/rules")
async def add_rule(workflow_ref: str, web: Web) -> Response:
    """`transition`, `group` (conditions, validators, post_functions), `type` and `params` (a
    JSON object; the rule's own params model checks it when the draft is saved)."""
    def change(definition: dict[str, Any], form: dict[str, str]) -> None:
        transition = _transition(definition, form)
        group = _group(form)
        text = form.get("params", "").strip() or "{}"
        if len(text) > PARAMS_CHARS:
            raise InvalidInput(f"The params are at most {PARAMS_CHARS} characters.", field="params")
        try:
            params = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"The params are not JSON: {error.msg} (line {error.lineno}, column {error.colno}).",
                               field="params") from None
        except RecursionError:
            raise InvalidInput("The params nest too deeply.", field="params") from None
        if not isinstance(params, dict):
            raise InvalidInput('The params must be a JSON object, e.g. {"field": "summary"}.', field="params")
        transition.setdefault(group, []).append({"type": form.get("type", "").strip(), "params": params})

    return await _edit(web, workflow_ref, "rules", change)


@router.post(PAGE + "/{workflow_ref}/rules/remove")
async def remove_rule(workflow_ref: str, web: Web) -> Response:
    """`transition`, `group` and `index` (the rule's place in its group, from 0)."""
    def change(definition: dict[str, Any], form: dict[str, str]) -> None:
        rules = _transition(definition, form).setdefault(_group(form), [])
        index = form.get("index", "")
        if not index.isdigit() or int(index) >= len(rules):
            raise InvalidInput(f"There is no rule number '{index[:8]}' here.", field="index")
        del rules[int(index)]

    return await _edit(web, workflow_ref, "rules", change)


@router.post(PAGE + "/{workflow_ref}/rules/mode")
async def condition_mode(workflow_ref: str, web: Web) -> Response:
    """`condition_mode`: all conditions must pass, or any one of them."""
    def change(definition: dict[str, Any], form: dict[str, str]) -> None:
        _transition(definition, form)["condition_mode"] = form.get("condition_mode", "")

    return await _edit(web, workflow_ref, "rules", change)


@router.post(PAGE + "/{workflow_ref}/rules/screen")
async def transition_screen(workflow_ref: str, web: Web) -> Response:
    """`screen`: the fields the transition asks for, comma-separated (system fields or custom
    field keys; the definition names the ones it takes when one is unknown)."""
    def change(definition: dict[str, Any], form: dict[str, str]) -> None:
        fields = [name.strip() for name in form.get("screen", "").split(",") if name.strip()]
        _transition(definition, form)["screen"] = list(dict.fromkeys(fields))

    return await _edit(web, workflow_ref, "rules", change)


@router.post(PAGE + "/{workflow_ref}/publish")
async def publish(workflow_ref: str, web: Web) -> Response:
    """`map:<status>`: where the issues of a status the draft drops go."""
    form = await web.form()
    mapping = {name[4:]: target for name, target in form.items() if name.startswith("map:") and target}
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            workflow = await access_workflow(session, actor, workflow_ref[:80])
            await check_publish_workflow(session, actor=actor, workflow=workflow, status_mapping=mapping)
    except FORM_ERRORS as error:
        return await render_workflow(web, workflow_ref, draft=True, status_code=error.status,
                                     error=FormError.of("publish", error), form=form)
    return web.redirect(f"{PAGE}/{workflow.key}?done=published")


@router.post(PAGE + "/{workflow_ref}/discard")
async def discard(workflow_ref: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        require_admin(actor)
        workflow = await access_workflow(session, actor, workflow_ref[:80])
        await check_discard_draft(session, actor=actor, workflow=workflow)
    return web.redirect(f"{PAGE}/{workflow.key}?done=discarded")
