"""Response bodies of /v2/builds and /v2/deployments (for OpenAPI): the shapes of
tessera.integrations.ci.panel, which the development panel shows too."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.api.rest.responses.common import Out


class BuildOut(Out):
    pipeline_id: str
    build_number: int
    name: str
    description: str | None
    label: str | None
    state: str
    url: str
    last_updated: str
    test_info: dict[str, int] | None
    references: list[dict[str, Any]]
    provider: str | None


class PipelineOut(Out):
    id: str
    name: str
    url: str


class EnvironmentOut(Out):
    id: str
    name: str
    type: str


class DeploymentOut(Out):
    pipeline: PipelineOut
    environment: EnvironmentOut
    deployment_sequence_number: int
    name: str
    description: str
    label: str | None
    state: str
    url: str
    last_updated: str
    duration: int | None
    provider: str | None


class _Posted(Out):
    stored: bool = Field(description="False: a report with a greater update_sequence was already stored; "
                                     "the answer shows that one.")
    unknown_issue_keys: list[str]
    issue_keys: list[str] = Field(description="The issues the stored report is linked to.")


class BuildPostedOut(_Posted):
    build: BuildOut


class DeploymentPostedOut(_Posted):
    deployment: DeploymentOut
