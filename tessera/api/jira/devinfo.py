"""Jira Software's builds and deployments APIs (`/rest/builds/0.1`, `/rest/deployments/0.1`),
so that CI plugins written for Jira post to Tessera by changing the base URL. Accepted with an
organization administrator's API token or a token scoped to CI (tessera.tenancy.token_scopes).

Answers are Jira's: 202 with accepted, rejected and unknown keys even when items fail; a
request that is not one at all is a 400 with a JSON array of `{message, errorTraceId}` (rendered
by tessera.api.jira.errors for these paths)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from tessera.api.jira.bodies import json_body
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.integrations.ci.jira_bodies import property_digests, read_builds, read_deployments
from tessera.integrations.ci.models import CiBuild, CiDeployment
from tessera.integrations.ci.queries import (
    access_build,
    access_deployment,
    do_delete_build,
    do_delete_by_properties,
    do_delete_deployment,
)
from tessera.integrations.ci.submissions import CI_SCOPES, Outcome, submit
from tessera.issues.views import iso

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


def _number(value: str, what: str) -> int:
    if not value.isdecimal() or len(value) > 19 or int(value) >= 2**63:
        raise NotFound(f"No {what} has this key.")
    return int(value)


def _sequence_param(request: Request) -> int | None:
    value = request.query_params.get("_updateSequenceNumber")
    if value is None:
        return None
    if not value.lstrip("-").isdecimal() or len(value) > 20:
        raise InvalidInput("'_updateSequenceNumber' must be an integer.", field="_updateSequenceNumber")
    return int(value)


def _properties(request: Request) -> list[str]:
    properties = {key: value for key, value in request.query_params.items() if not key.startswith("_")}
    if not properties:
        raise InvalidInput("Name at least one property to delete by, e.g. ?accountId=account-123.",
                           field="properties")
    return property_digests(properties)


def _outcome(outcome: Outcome, kind: str) -> JSONResponse:
    shown: dict[str, Any] = {f"accepted{kind}": outcome.accepted, f"rejected{kind}": outcome.rejected,
                             "unknownIssueKeys": outcome.unknown_issue_keys}
    if kind == "Deployments":
        shown["unknownAssociations"] = outcome.unknown_associations
    return JSONResponse(shown, status_code=202)


def build_json(build: CiBuild) -> dict[str, Any]:
    """The build as Jira answers it: what was sent, properties never included."""
    shown: dict[str, Any] = {
        "schemaVersion": "1.0", "pipelineId": build.pipeline_id, "buildNumber": build.build_number,
        "updateSequenceNumber": build.update_sequence_number, "displayName": build.display_name,
        "url": build.url, "state": build.state, "lastUpdated": iso(build.last_updated),
        "issueKeys": list(build.issue_keys)}
    for name, value in (("description", build.description), ("label", build.label), ("testInfo", build.test_info),
                        ("references", build.references)):
        if value is not None:
            shown[name] = value
    return shown


def deployment_json(deployment: CiDeployment, links: list[str]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "schemaVersion": "1.0", "deploymentSequenceNumber": deployment.deployment_sequence_number,
        "updateSequenceNumber": deployment.update_sequence_number,
        "associations": deployment.associations or [{"associationType": "issueKeys", "values": links}],
        "displayName": deployment.display_name, "url": deployment.url, "description": deployment.description,
        "lastUpdated": iso(deployment.last_updated), "state": deployment.state,
        "pipeline": {"id": deployment.pipeline_id, "displayName": deployment.pipeline_name,
                     "url": deployment.pipeline_url},
        "environment": {"id": deployment.environment_id, "displayName": deployment.environment_name,
                        "type": deployment.environment_type}}
    for name, value in (("label", deployment.label), ("duration", deployment.duration),
                        ("commands", deployment.commands)):
        if value is not None:
            shown[name] = value
    return shown


@router.post("/builds/0.1/bulk", status_code=202)
async def submit_builds(request: Request, ctx: Ctx) -> JSONResponse:
    bulk = read_builds(await json_body(request))
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        return _outcome(await submit(session, actor, request=bulk), "Builds")


_BUILD = "/builds/0.1/pipelines/{pipeline_id:path}/builds/{build_number}"


@router.get(_BUILD)
async def get_build(pipeline_id: str, build_number: str, ctx: Ctx) -> dict[str, Any]:
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        build, _ = await access_build(session, actor, pipeline_id=pipeline_id,
                                          build_number=_number(build_number, "build"))
        return build_json(build)


@router.delete(_BUILD, status_code=202, response_class=Response)
async def delete_build(pipeline_id: str, build_number: str, request: Request, ctx: Ctx) -> Response:
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        await do_delete_build(session, actor, pipeline_id=pipeline_id, build_number=_number(build_number, "build"),
                              at_most_sequence=_sequence_param(request))
    return Response(status_code=202)


@router.delete("/builds/0.1/bulkByProperties", status_code=202, response_class=Response)
async def delete_builds_by_properties(request: Request, ctx: Ctx) -> Response:
    digests = _properties(request)
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        await do_delete_by_properties(session, actor, model=CiBuild, digests=digests)
    return Response(status_code=202)


@router.post("/deployments/0.1/bulk", status_code=202)
async def submit_deployments(request: Request, ctx: Ctx) -> JSONResponse:
    bulk = read_deployments(await json_body(request))
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        return _outcome(await submit(session, actor, request=bulk), "Deployments")


_DEPLOYMENT = "/deployments/0.1/pipelines/{pipeline_id:path}/environments/{environment_id}/deployments/{sequence}"


@router.get(_DEPLOYMENT)
async def get_deployment(pipeline_id: str, environment_id: str, sequence: str, ctx: Ctx) -> dict[str, Any]:
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        deployment, links = await access_deployment(session, actor, pipeline_id=pipeline_id,
                                                    environment_id=environment_id,
                                                    deployment_sequence_number=_number(sequence, "deployment"))
        return deployment_json(deployment, links)


@router.delete(_DEPLOYMENT, status_code=202, response_class=Response)
async def delete_deployment(pipeline_id: str, environment_id: str, sequence: str, request: Request,
                            ctx: Ctx) -> Response:
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        await do_delete_deployment(session, actor, pipeline_id=pipeline_id, environment_id=environment_id,
                                   deployment_sequence_number=_number(sequence, "deployment"),
                                   at_most_sequence=_sequence_param(request))
    return Response(status_code=202)


@router.delete("/deployments/0.1/bulkByProperties", status_code=202, response_class=Response)
async def delete_deployments_by_properties(request: Request, ctx: Ctx) -> Response:
    digests = _properties(request)
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        await do_delete_by_properties(session, actor, model=CiDeployment, digests=digests)
    return Response(status_code=202)
