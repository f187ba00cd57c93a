"""/v2/workflows and /v2/workflow-schemes: definitions, drafts, publishing, import and export."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.workflows import (
    JsonSchemaOut,
    PortableWorkflow,
    PublishedOut,
    SchemeAssignedOut,
    SchemeListOut,
    SchemeOut,
    WorkflowListOut,
    WorkflowOut,
    WorkflowTransitionsOut,
)
from tessera.api.rest.schemas import PublishBody, SchemeAssign, SchemeBody
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput
from tessera.inputs.json_text import JsonTooDeep, decode_json, validate_strings
from tessera.issues.references import catalog_for
from tessera.issues.service import access_issue
from tessera.issues.transitions import available_transitions
from tessera.issues.workflow_migration import (
    check_assign_scheme,
    check_publish_workflow,
)
from tessera.projects.service import access_project
from tessera.workflow.definition import json_schema
from tessera.workflow.lookup import list_statuses, list_workflows
from tessera.workflow.models import Workflow, WorkflowScheme
from tessera.workflow.service import (
    access_scheme,
    access_workflow,
    check_create_workflow,
    check_discard_draft,
    check_save_draft,
    check_save_scheme,
    find_workflow,
    list_schemes,
    to_portable,
)

router = APIRouter(prefix="/v2", tags=["workflows"])
Ctx = Annotated[RequestContext, Depends(request_context)]
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
DOCUMENT = Body(default=None, description="A workflow in the portable format (JSON, or YAML with a YAML "
                "content type); see GET /v2/workflows/schema.")


async def _document(request: Request) -> Any:
    """JSON or YAML, by content type; errors say where the text is broken."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        if content_type in YAML_TYPES:
            return validate_strings(yaml.safe_load(raw.decode("utf-8")))
        return decode_json(raw or b"null")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidInput(f"The YAML document is malformed{where}.", code="malformed_yaml") from None
    except UnicodeDecodeError:
        raise InvalidInput("The YAML document is not UTF-8 text.", code="malformed_yaml") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise JsonTooDeep("The YAML document nests too deeply.") from None


def _view(workflow: Workflow, statuses: list, *, with_definition: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {"id": workflow.id, "key": workflow.key, "name": workflow.name,
                            "description": workflow.description, "version": workflow.version,
                            "is_default": workflow.is_default, "has_draft": workflow.draft is not None}
    if with_definition:
        view["definition"] = to_portable(workflow, workflow.definition, statuses)
        view["draft"] = workflow.draft["spec"] if workflow.draft else None
    return view


def _scheme_view(scheme: WorkflowScheme) -> dict[str, Any]:
    return {"id": scheme.id, "name": scheme.name, "description": scheme.description,
            "default_workflow_id": scheme.default_workflow_id,
            "mappings": {k: v for k, v in scheme.mappings.items()}}


@router.get("/workflows/schema", responses=ok(JsonSchemaOut))
async def workflow_schema() -> dict:
    """The JSON Schema of the portable workflow format."""
    return json_schema()


@router.get("/workflows", responses=ok(WorkflowListOut))
async def get_workflows(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        statuses = list(await list_statuses(session, actor.organization_id))
        return {"workflows": [_view(w, statuses) for w in await list_workflows(session, actor.organization_id)]}


@router.post("/workflows", status_code=201, responses=ok(WorkflowOut, 201))
async def create_workflow(request: Request, ctx: Ctx, document: Any = DOCUMENT) -> dict:
    body = await _document(request)
    async with ctx.transaction() as (session, actor):
        workflow = await check_create_workflow(session, actor=actor, document=body)
        return _view(workflow, list(await list_statuses(session, actor.organization_id)))


@router.get("/workflows/{workflow_id}", responses=ok(WorkflowOut))
async def get_workflow(workflow_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        workflow = await access_workflow(session, actor, workflow_id)
        return _view(workflow, list(await list_statuses(session, actor.organization_id)))


@router.put("/workflows/{workflow_id}", responses=ok(WorkflowOut))
async def edit_workflow(workflow_id: str, request: Request, ctx: Ctx,
                        version: Annotated[int | None, Query(ge=1)] = None, document: Any = DOCUMENT) -> dict:
    """Saves the edit as the workflow's draft; publish it to apply it."""
    body = await _document(request)
    async with ctx.transaction() as (session, actor):
        workflow = await access_workflow(session, actor, workflow_id)
        workflow = await check_save_draft(session, actor=actor, workflow=workflow, document=body,
                                          expected_version=version)
        return _view(workflow, list(await list_statuses(session, actor.organization_id)))


@router.delete("/workflows/{workflow_id}/draft", status_code=204)
async def discard_draft(workflow_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        workflow = await access_workflow(session, actor, workflow_id)
        await check_discard_draft(session, actor=actor, workflow=workflow)
    return Response(status_code=204)


@router.post("/workflows/{workflow_id}/publish", responses=ok(PublishedOut))
async def publish_workflow(workflow_id: str, ctx: Ctx, body: PublishBody | None = None) -> dict:
    """Applies the draft. Issues in statuses the draft removes need `status_mapping`
    ({old status: new status}); they move in bulk, with history."""
    async with ctx.transaction() as (session, actor):
        workflow = await access_workflow(session, actor, workflow_id)
        return await check_publish_workflow(session, actor=actor, workflow=workflow,
                                            status_mapping=(body or PublishBody()).status_mapping)


@router.get("/workflows/{workflow_id}/export", response_model=None, responses={
    200: {"model": PortableWorkflow, "content": {"application/yaml": {
        "schema": {"$ref": "#/components/schemas/PortableWorkflow"}}}}})
async def export_workflow(workflow_id: str, ctx: Ctx,
                          format: Annotated[str, Query(pattern="^(json|yaml)$")] = "json"
                          ) -> PlainTextResponse | JSONResponse:
    async with ctx.transaction() as (session, actor):
        workflow = await access_workflow(session, actor, workflow_id)
        document = to_portable(workflow, workflow.definition, list(await list_statuses(session, actor.organization_id)))
    if format == "yaml":
        return PlainTextResponse(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                                 media_type="application/yaml")
    return JSONResponse(document)


@router.get("/workflows/{workflow_id}/transitions", responses=ok(WorkflowTransitionsOut))
async def workflow_transitions(workflow_id: str, ctx: Ctx, issue_id: Annotated[str, Query(max_length=64)]) -> dict:
    """The transitions the caller may run now on the issue, from its current status."""
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        workflow = find_workflow((await catalog_for(session, actor)).workflows, workflow_id)
        if workflow.id != issue.workflow_id:
            raise InvalidInput(f"{issue.key} does not use this workflow.", field="workflow_id")
        return {"workflow_id": issue.workflow_id, "issue_id": issue.id,
                "transitions": await available_transitions(session, actor=actor, issue=issue, project=project)}


@router.get("/workflow-schemes", responses=ok(SchemeListOut))
async def get_schemes(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return {"workflow_schemes": [_scheme_view(s) for s in await list_schemes(session, actor.organization_id)]}


@router.post("/workflow-schemes", status_code=201, responses=ok(SchemeOut, 201))
async def create_scheme(body: SchemeBody, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        catalog = await catalog_for(session, actor)
        scheme = await check_save_scheme(session, actor=actor, name=body.name, description=body.description,
                                         default_workflow=body.default_workflow, mappings=body.mappings,
                                         issue_type_ids=[t.id for t in catalog.issue_types])
        return _scheme_view(scheme)


@router.put("/workflow-schemes/{scheme_id}", responses=ok(SchemeOut))
async def update_scheme(scheme_id: str, body: SchemeBody, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        catalog = await catalog_for(session, actor)
        scheme = await access_scheme(session, actor, scheme_id)
        scheme = await check_save_scheme(session, actor=actor, name=body.name, description=body.description,
                                         default_workflow=body.default_workflow, mappings=body.mappings,
                                         scheme=scheme, issue_type_ids=[t.id for t in catalog.issue_types])
        return _scheme_view(scheme)


@router.put("/projects/{project_id}/workflow-scheme", responses=ok(SchemeAssignedOut))
async def assign_scheme(project_id: str, body: SchemeAssign, ctx: Ctx) -> dict:
    """Moves the project's issues onto the scheme's workflows (with `status_mapping` for statuses
    the new workflows lack)."""
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        scheme = await access_scheme(session, actor, body.workflow_scheme_id)
        return await check_assign_scheme(session, actor=actor, project=project, scheme=scheme,
                                         status_mapping=body.status_mapping)
