"""Workflows: create from the portable format, read, edit as drafts, export; workflow schemes.
Publishing a draft moves issues, so it lives with the issues (tessera.issues.workflow_publish)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.projects.custom_fields import list_field_definitions
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.service import do_bump_catalog_version
from tessera.workflow.definition import WorkflowSpec, validate_definition
from tessera.workflow.lookup import list_statuses, list_workflows
from tessera.workflow.models import Status, Workflow, WorkflowScheme
from tessera.workflow.templates import TEMPLATES


def parse_spec(document: Any) -> WorkflowSpec:
    """Structure first: every error with its path (e.g. `transitions.2.to`)."""
    try:
        return WorkflowSpec.model_validate(document)
    except ValidationError as error:
        errors = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in error.errors()}
        first = next(iter(errors.items()))
        raise InvalidInput(f"{first[0]}: {first[1]}", errors=errors, field=first[0],
                           code="invalid_workflow") from None


async def validate_spec(session: AsyncSession, organization_id: int, spec: WorkflowSpec) -> None:
    keys = frozenset(f.key for f in await list_field_definitions(session, organization_id))
    errors = validate_definition(spec, custom_field_keys=keys)
    statuses = {s.name.casefold(): s for s in await list_statuses(session, organization_id)}
    for index, status in enumerate(spec.statuses):
        existing = statuses.get(status.name.casefold())
        if existing is not None and existing.category != status.category:
            errors.setdefault(f"statuses[{index}].category",
                              f"status '{existing.name}' exists in category '{existing.category}'")
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInput(f"{first[0]}: {first[1]}", errors=errors, field=first[0], code="invalid_workflow")


async def to_stored(session: AsyncSession, organization_id: int, spec: WorkflowSpec) -> dict[str, Any]:
    """Status names become the organization's status ids (created when new)."""
    statuses = {s.name.casefold(): s for s in await list_statuses(session, organization_id)}
    for status in spec.statuses:
        if status.name.casefold() not in statuses:
            created = Status(organization_id=organization_id, name=status.name, category=status.category,
                             description="")
            session.add(created)
            await session.flush()
            statuses[status.name.casefold()] = created
    ids = {name: status.id for name, status in statuses.items()}
    return {
        "statuses": [{"id": ids[s.name.casefold()], "name": statuses[s.name.casefold()].name} for s in spec.statuses],
        "initial_status": ids[spec.initial_status.casefold()],
        "transitions": [{
            "id": t.id, "name": t.name, "from": [ids[s.casefold()] for s in t.from_ if s != "*"],
            "to": ids[t.to.casefold()], "condition_mode": t.condition_mode, "screen": list(t.screen),
            "hidden": t.hidden,
            **{group: [r.model_dump() for r in getattr(t, group)]
               for group in ("conditions", "validators", "post_functions")},
        } for t in spec.transitions],
    }


def to_portable(workflow: Workflow, definition: dict[str, Any], statuses: Sequence[Status]) -> dict[str, Any]:
    by_id = {s.id: s for s in statuses}
    return {
        "name": workflow.name, "key": workflow.key, "description": workflow.description,
        "statuses": [{"name": by_id[s["id"]].name, "category": by_id[s["id"]].category}
                     for s in definition["statuses"]],
        "initial_status": by_id[definition["initial_status"]].name,
        "transitions": [{
            "id": t["id"], "name": t["name"], "from": [by_id[s].name for s in t["from"]], "to": by_id[t["to"]].name,
            "conditions": t.get("conditions", []), "condition_mode": t.get("condition_mode", "all"),
            "validators": t.get("validators", []), "post_functions": t.get("post_functions", []),
            "screen": t.get("screen", []), "hidden": t.get("hidden", False),
        } for t in definition["transitions"]],
    }


def _key_for(spec: WorkflowSpec) -> str:
    return spec.key or (re.sub(r"[^a-z0-9]+", "_", spec.name.lower()).strip("_")[:64] or "workflow")


async def do_create_workflow(session: AsyncSession, *, organization_id: int, spec: WorkflowSpec,
                             is_default: bool = False) -> Workflow:
    key = _key_for(spec)
    taken = {w.key for w in await list_workflows(session, organization_id)}
    if key in taken:
        if spec.key:
            raise Conflict(f"A workflow keyed '{key}' exists.", field="key", code="duplicate_key")
        key = next(f"{key}_{n}" for n in range(2, 10_000) if f"{key}_{n}" not in taken)
    workflow = Workflow(organization_id=organization_id, key=key, name=spec.name, description=spec.description,
                        definition=await to_stored(session, organization_id, spec), version=1,
                        is_default=is_default)
    session.add(workflow)
    await session.flush()
    await do_bump_catalog_version(session, organization_id)
    return workflow


async def check_create_workflow(session: AsyncSession, *, actor: Actor, document: Any) -> Workflow:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    spec = parse_spec(document)
    await validate_spec(session, actor.organization_id, spec)
    return await do_create_workflow(session, organization_id=actor.organization_id, spec=spec)


def find_workflow(workflows: Sequence[Workflow], ref: object) -> Workflow:
    """By id, key or the seed's "workflow_<key>"; NotFound otherwise."""
    wanted = parse_id(ref)
    text = str(ref).strip().casefold()
    for workflow in workflows:
        if workflow.id == wanted or text in {workflow.key, f"workflow_{workflow.key}"}:
            return workflow
    raise NotFound("Workflow not found.")


async def access_workflow(session: AsyncSession, actor: Actor, ref: object) -> Workflow:
    return find_workflow(await list_workflows(session, actor.organization_id), ref)


async def check_save_draft(session: AsyncSession, *, actor: Actor, workflow: Workflow, document: Any,
                           expected_version: int | None = None) -> Workflow:
    """Edits never change a published workflow in place: they wait as a draft until published."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    if expected_version is not None and expected_version != workflow.version:
        raise Conflict("The workflow was published by someone else meanwhile.", code="version_conflict",
                       data={"current_version": workflow.version})
    spec = parse_spec(document)
    await validate_spec(session, actor.organization_id, spec)
    workflow.draft = {"spec": spec.model_dump(by_alias=True), "base_version": workflow.version}
    await session.flush()
    # A draft emits no event (nothing changes for issues until it is published), so it is recorded here.
    record(session, organization_id=workflow.organization_id, action="workflow.draft_saved", object_type="workflow",
           object_id=workflow.id, object_key=workflow.key,
           changes={"statuses": [s.name for s in spec.statuses], "transitions": len(spec.transitions)})
    return workflow


async def check_discard_draft(session: AsyncSession, *, actor: Actor, workflow: Workflow) -> Workflow:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    workflow.draft = None
    await session.flush()
    record(session, organization_id=workflow.organization_id, action="workflow.draft_discarded",
           object_type="workflow", object_id=workflow.id, object_key=workflow.key)
    return workflow


async def do_create_template_workflows(session: AsyncSession, *, organization_id: int) -> dict[str, Workflow]:
    """The software workflow (the organization's default), the business one and the strict
    software one, each with a scheme."""
    created: dict[str, Workflow] = {}
    for project_type, template in TEMPLATES.items():
        workflow = await do_create_workflow(session, organization_id=organization_id,
                                            spec=WorkflowSpec.model_validate(template),
                                            is_default=project_type == "software")
        session.add(WorkflowScheme(organization_id=organization_id, name=f"{template['name']} scheme",
                                   description=f"Every issue type uses the {template['name'].lower()}.",
                                   default_workflow_id=workflow.id, mappings={}))
        created[project_type] = workflow
    await session.flush()
    return created


async def list_schemes(session: AsyncSession, organization_id: int) -> Sequence[WorkflowScheme]:
    return (await session.scalars(select(WorkflowScheme).where(WorkflowScheme.organization_id == organization_id)
                                  .order_by(WorkflowScheme.id))).all()


async def access_scheme(session: AsyncSession, actor: Actor, ref: object) -> WorkflowScheme:
    scheme_id = parse_id(ref)
    scheme = await session.scalar(select(WorkflowScheme).where(
        WorkflowScheme.organization_id == actor.organization_id, WorkflowScheme.id == scheme_id)) \
        if scheme_id else None
    if scheme is None:
        raise NotFound("Workflow scheme not found.")
    return scheme


async def scheme_for_project_type(session: AsyncSession, organization_id: int, project_type: str
                                  ) -> WorkflowScheme | None:
    wanted = TEMPLATES.get(project_type, TEMPLATES["software"])["name"] + " scheme"
    return next((s for s in await list_schemes(session, organization_id) if s.name == wanted), None)


async def check_save_scheme(session: AsyncSession, *, actor: Actor, name: str, default_workflow: object,
                            mappings: dict[str, object], description: str = "",
                            scheme: WorkflowScheme | None = None, issue_type_ids: Sequence[int] = ()
                            ) -> WorkflowScheme:
    """Mappings are {issue type id or name: workflow id or key}; resolved and checked here."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("A workflow scheme needs a name, at most 255 characters.", field="name")
    if any(s.name == name and s is not scheme for s in await list_schemes(session, actor.organization_id)):
        raise Conflict(f"A workflow scheme named '{name}' exists.", field="name", code="duplicate_name")
    default = await _workflow_ref(session, actor, default_workflow, "default_workflow")
    resolved: dict[str, int] = {}
    for type_ref, workflow_ref in mappings.items():
        type_id = parse_id(type_ref)
        if type_id is None or type_id not in issue_type_ids:
            raise InvalidInput(f"Unknown issue type '{type_ref}'.", field=f"mappings.{type_ref}")
        resolved[str(type_id)] = (await _workflow_ref(session, actor, workflow_ref, f"mappings.{type_ref}")).id
    action = "created" if scheme is None else "updated"
    if scheme is None:
        scheme = WorkflowScheme(organization_id=actor.organization_id, name=name, description=description,
                                default_workflow_id=default.id, mappings=resolved)
        session.add(scheme)
    else:
        scheme.name, scheme.description = name, description
        scheme.default_workflow_id, scheme.mappings = default.id, resolved
    await session.flush()
    record(session, organization_id=actor.organization_id, action=f"workflow_scheme.{action}",
           object_type="workflow_scheme", object_id=scheme.id, object_key=scheme.name,
           changes={"default_workflow": default.key, "mappings": resolved})
    await do_bump_catalog_version(session, actor.organization_id)
    return scheme


async def _workflow_ref(session: AsyncSession, actor: Actor, ref: object, field: str) -> Workflow:
    try:
        return await access_workflow(session, actor, ref)
    except NotFound:
        raise InvalidInput(f"The workflow '{str(ref)[:100]}' does not exist.", field=field) from None
