"""Issues, search, changelog and transitions as /v2 answers them (views in tessera.issues.views)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, create_model

from tessera.api.rest.responses.common import NamedRef, Out, PersonRef, ProjectRef, StatusRef, UserRef


class IssueTypeRef(NamedRef):
    subtask: bool


class IssueBrief(Out):
    id: int
    key: str
    summary: str
    status: StatusRef
    issue_type: NamedRef


class VersionRef(NamedRef):
    released: bool


class LinkTypeOut(NamedRef):
    outward: str
    inward: str


class IssueLinkRef(Out):
    id: int
    type: LinkTypeOut
    direction: str = Field(description="outward or inward, seen from this issue.")
    relation: str
    issue: IssueBrief


class IssueOut(Out):
    id: int
    key: str
    project: ProjectRef
    issue_type: IssueTypeRef
    summary: str
    description: str
    status: StatusRef
    priority: NamedRef
    resolution: NamedRef | None
    assignee: UserRef | None
    reporter: UserRef | None
    creator: UserRef | None
    labels: list[str]
    components: list[NamedRef]
    fix_versions: list[VersionRef]
    affected_versions: list[VersionRef]
    due_date: str | None = Field(description="ISO date.")
    parent: IssueBrief | None
    subtasks: list[IssueBrief]
    links: list[IssueLinkRef]
    custom_fields: dict[str, Any] = Field(description="{field key: value}; null when unset.")
    workflow_id: int
    created: str
    updated: str
    resolved: str | None
    version: int
    original_estimate: int | None = Field(description="Seconds (time tracking).")
    remaining_estimate: int | None = Field(description="Seconds; logging work reduces it.")
    time_spent: int | None = Field(description="Seconds of work logged.")
    security_level: NamedRef | None = Field(default=None, description="The issue security level: only its "
                                                                      "members see the issue.")
    self: str
    changelog: list[dict[str, Any]] | None = Field(default=None, description="With ?expand=changelog.")


# A search row holds only the fields asked for (`fields`), so every key may be absent.
SearchIssue = create_model(
    "SearchIssue", __base__=Out,
    **{name: (info.annotation, None) for name, info in IssueOut.model_fields.items()},
    comments=(list[dict[str, Any]] | None, None))


class SearchPageOut(Out):
    start_at: int
    max_results: int
    total: int
    issues: list[SearchIssue]  # type: ignore[valid-type]


class History(Out):
    id: int
    author_id: int | None
    author: PersonRef | None
    created: str
    items: list[dict[str, Any]]


class ChangelogOut(Out):
    issue_id: int
    total: int
    histories: list[History]


class StatusTarget(NamedRef):
    category: str


class AvailableTransition(Out):
    id: str
    name: str
    to: StatusTarget
    screen: list[Any]
    has_screen: bool


class IssueTransitionsOut(Out):
    issue_id: int
    transitions: list[AvailableTransition]
