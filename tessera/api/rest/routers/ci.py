"""/v2/builds and /v2/deployments: the plain form of the CI/CD status API (Jira's bulk form is
tessera.api.jira.devinfo); one build or deployment per request, same storage and rules.
Accepted with an organization administrator's API token or a token scoped to CI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import Field, StrictInt, StringConstraints

from tessera.api.rest.responses.ci import BuildPostedOut, DeploymentPostedOut
from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import Body
from tessera.db.base import utcnow
from tessera.edge.context import RequestContext, request_context
from tessera.integrations.ci.panel import build_view, deployment_view
from tessera.integrations.ci.queries import access_build, access_deployment
from tessera.integrations.ci.reports import (
    BUILD_STATES,
    DEPLOYMENT_STATES,
    ENVIRONMENT_TYPES,
    INT64,
    BuildReport,
    DeploymentReport,
    as_utc,
    sequence_now,
)
from tessera.integrations.ci.submissions import CI_SCOPES, check_submit_one

router = APIRouter(prefix="/v2", tags=["ci"])
Ctx = Annotated[RequestContext, Depends(request_context)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Int64 = Annotated[StrictInt, Field(ge=0, le=INT64[1])]
# ISSUE_KEY_SHAPE with its bounds as a length: the bounded form overflows pydantic's regex engine.
IssueKey = Annotated[str, StringConstraints(pattern=r"^\w+-\d+$", max_length=300)]
IssueKeys = Annotated[list[IssueKey], Field(min_length=1, max_length=100)]

BuildState = Literal[BUILD_STATES]  # type: ignore[valid-type]
DeploymentState = Literal[DEPLOYMENT_STATES]  # type: ignore[valid-type]
EnvironmentType = Literal[ENVIRONMENT_TYPES]  # type: ignore[valid-type]


class Tests(Body):
    total: Int64
    passed: Int64
    failed: Int64
    skipped: Int64 | None = None


class BuildIn(Body):
    pipeline: Text = Field(description="Groups a sequence of builds, e.g. 'acme/web ci'.")
    number: Int64
    name: Text
    state: BuildState
    url: Url
    issue_keys: IssueKeys
    update_sequence: Int64 | None = Field(None, description="Orders reports of this build; default: now, "
                                          "in epoch milliseconds. An older report never replaces a newer one.")
    last_updated: datetime | None = None
    description: Text | None = None
    label: Text | None = None
    tests: Tests | None = None
    commit: Text | None = Field(None, description="The commit built (its SHA).")
    repository_url: Url | None = None
    ref: Text | None = Field(None, description="The branch or tag built.")


class DeploymentIn(Body):
    pipeline: Text
    pipeline_name: Text | None = None
    pipeline_url: Url | None = None
    environment: Text = Field(description="The environment's id, e.g. 'prod-eu'.")
    environment_name: Text | None = None
    environment_type: EnvironmentType = "unmapped"
    number: Int64 = Field(description="The deployment's sequence number in this pipeline and environment.")
    name: Text
    state: DeploymentState
    url: Url
    issue_keys: IssueKeys
    update_sequence: Int64 | None = None
    last_updated: datetime | None = None
    description: Annotated[str, StringConstraints(max_length=255)] = ""
    label: Text | None = None
    duration: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] | None = None


def _build_report(body: BuildIn) -> BuildReport:
    moment = utcnow() if body.last_updated is None else as_utc(body.last_updated)
    references = None
    if body.commit or body.ref:
        reference: dict[str, Any] = {}
        if body.commit:
            reference["commit"] = {"id": body.commit, "repositoryUri": body.repository_url or ""}
        if body.ref:
            reference["ref"] = {"name": body.ref, "uri": body.repository_url or ""}
        references = [reference]
    tests = None if body.tests is None else {
        key: value for key, value in (("totalNumber", body.tests.total), ("numberPassed", body.tests.passed),
                                      ("numberFailed", body.tests.failed), ("numberSkipped", body.tests.skipped))
        if value is not None}
    return BuildReport(
        pipeline_id=body.pipeline, build_number=body.number,
        update_sequence_number=body.update_sequence if body.update_sequence is not None else sequence_now(utcnow()),
        display_name=body.name, url=body.url, state=body.state, last_updated=moment,
        issue_keys=tuple(dict.fromkeys(body.issue_keys)), description=body.description, label=body.label,
        test_info=tests, references=references)


def _deployment_report(body: DeploymentIn) -> DeploymentReport:
    moment = utcnow() if body.last_updated is None else as_utc(body.last_updated)
    keys = tuple(dict.fromkeys(body.issue_keys))
    return DeploymentReport(
        pipeline_id=body.pipeline, pipeline_name=body.pipeline_name or body.pipeline,
        pipeline_url=body.pipeline_url or body.url, environment_id=body.environment,
        environment_name=body.environment_name or body.environment, environment_type=body.environment_type,
        deployment_sequence_number=body.number,
        update_sequence_number=body.update_sequence if body.update_sequence is not None else sequence_now(utcnow()),
        display_name=body.name, description=body.description, url=body.url, state=body.state,
        last_updated=moment, issue_refs=keys,
        associations=[{"associationType": "issueKeys", "values": list(keys)}], label=body.label,
        duration=body.duration)


@router.post("/builds", status_code=202, responses=ok(BuildPostedOut, 202))
async def post_build(body: BuildIn, ctx: Ctx) -> JSONResponse:
    """Records a build's state against the issues it names. 202: `stored` false means a report
    with a greater update_sequence was already there (the answer shows that one)."""
    report = _build_report(body)
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        outcome = await check_submit_one(session, actor, report=report)
        build, keys = await access_build(session, actor, pipeline_id=report.pipeline_id,
                                         build_number=report.build_number)
        return JSONResponse({"stored": outcome.written, "unknown_issue_keys": outcome.unknown_issue_keys,
                             "issue_keys": keys, "build": build_view(build)}, status_code=202)


@router.post("/deployments", status_code=202, responses=ok(DeploymentPostedOut, 202))
async def post_deployment(body: DeploymentIn, ctx: Ctx) -> JSONResponse:
    report = _deployment_report(body)
    async with ctx.transaction(scopes=CI_SCOPES) as (session, actor):
        outcome = await check_submit_one(session, actor, report=report)
        deployment, keys = await access_deployment(
            session, actor, pipeline_id=report.pipeline_id, environment_id=report.environment_id,
            deployment_sequence_number=report.deployment_sequence_number)
        return JSONResponse({"stored": outcome.written, "unknown_issue_keys": outcome.unknown_issue_keys,
                             "issue_keys": keys, "deployment": deployment_view(deployment)}, status_code=202)
