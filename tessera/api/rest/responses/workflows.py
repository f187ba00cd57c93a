"""Workflows, workflow schemes, saved filters and JQL help as /v2 answers them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.api.rest.responses.common import Out, Page, PersonRef
from tessera.api.rest.responses.issues import AvailableTransition


class PortableWorkflow(Out):
    """The portable document (statuses by name), as imported and exported."""

    name: str
    key: str | None
    description: str
    statuses: list[dict[str, Any]]
    initial_status: str
    transitions: list[dict[str, Any]]


class JsonSchemaOut(Out):
    """A JSON Schema (draft 2020-12) document."""

    type: str
    properties: dict[str, Any]
    required: list[str]


class WorkflowOut(Out):
    id: int
    key: str
    name: str
    description: str
    version: int
    is_default: bool
    has_draft: bool
    definition: PortableWorkflow
    draft: PortableWorkflow | None


class WorkflowListOut(Out):
    workflows: list[WorkflowOut]


class PublishedOut(Out):
    workflow_id: int
    version: int
    moved: int = Field(description="Issues moved to a new status.")


class WorkflowTransitionsOut(Out):
    workflow_id: int
    issue_id: int
    transitions: list[AvailableTransition]


class SchemeOut(Out):
    id: int
    name: str
    description: str
    default_workflow_id: int
    mappings: dict[str, int] = Field(description="{issue type id: workflow id}")


class SchemeListOut(Out):
    workflow_schemes: list[SchemeOut]


class SchemeAssignedOut(Out):
    project_id: int
    workflow_scheme_id: int
    moved: int


class FilterOut(Out):
    id: int
    name: str
    description: str
    jql: str
    owner: PersonRef
    shares: list[dict[str, Any]]
    favourite: bool
    favourite_count: int
    version: int
    created: str
    updated: str
    view_url: str


class FilterPageOut(Page):
    filters: list[FilterOut]


class FilterListOut(Out):
    filters: list[FilterOut]


class AutocompleteOut(Out):
    """Without `field`: `fields`; with `field`: `field` and `results`."""

    fields: list[dict[str, Any]] | None = None
    field: str | None = None
    results: list[dict[str, Any]] | None = None


class AutocompleteDataOut(Out):
    fields: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    reserved_words: list[str]
