"""What clients may send to create or change an issue. Shared by every transport."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from tessera.issues.models import DESCRIPTION_MAX, LABEL_MAX, SUMMARY_MAX

# An id (a JSON integer) or a key/name. Strict: pydantic would otherwise turn true into the id 1.
Ref = StrictInt | str
Summary = Annotated[str, StringConstraints(min_length=1, max_length=SUMMARY_MAX)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=LABEL_MAX)]
MAX_LABELS = 100
MAX_REFS = 100
Duration = Annotated[StrictInt | str | None, Field(description="Seconds, or a Jira duration such as '3d 4h' (a day is "
                                                         "8 hours, a week 5 days); null clears it.")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class IssueCreate(_Input):
    project_id: Ref = Field(description="Project id or key.")
    issue_type: Ref | dict[str, Any] = Field(description="Issue type id or name, e.g. 'story'.")
    summary: Summary
    description: Description | None = None
    priority: Ref | dict[str, Any] | None = Field(default=None, description="Priority id or name; default Medium.")
    assignee_id: Ref | None = None
    reporter_id: Ref | None = Field(default=None, description="Defaults to the caller.")
    labels: list[Label] = Field(default_factory=list, max_length=MAX_LABELS)
    components: list[Ref] = Field(default_factory=list, max_length=MAX_REFS, description="Component ids or names.")
    fix_versions: list[Ref] = Field(default_factory=list, max_length=MAX_REFS)
    affected_versions: list[Ref] = Field(default_factory=list, max_length=MAX_REFS)
    due_date: date | None = None
    parent_id: Ref | None = Field(default=None, description="Parent issue id or key (epic or, for sub-tasks, the "
                                                            "parent issue).")
    custom_fields: dict[str, Any] = Field(default_factory=dict, max_length=200,
                                          description="By field key, name or customfield_N, e.g. story_points.")
    workflow_id: Ref | None = None
    security_level: Ref | dict[str, Any] | None = Field(
        default=None, description="Issue security level id or name (needs SET_ISSUE_SECURITY); default: the "
                                  "default level of the project's issue security scheme.")
    original_estimate: Duration = None
    remaining_estimate: Duration = Field(default=None, description="Defaults to the original estimate.")
    time_spent: Any = Field(default=None, description="Not settable: log work (worklogs) instead.")


class IssueUpdate(_Input):
    """Only the fields present are changed; `null` clears an optional field."""

    summary: Summary | None = None
    description: Description | None = None
    issue_type: Ref | dict[str, Any] | None = None
    priority: Ref | dict[str, Any] | None = None
    assignee_id: Ref | None = None
    reporter_id: Ref | None = None
    labels: list[Label] | None = Field(default=None, max_length=MAX_LABELS)
    components: list[Ref] | None = Field(default=None, max_length=MAX_REFS)
    fix_versions: list[Ref] | None = Field(default=None, max_length=MAX_REFS)
    affected_versions: list[Ref] | None = Field(default=None, max_length=MAX_REFS)
    due_date: date | None = None
    parent_id: Ref | None = None
    custom_fields: dict[str, Any] | None = Field(default=None, max_length=200)
    security_level: Ref | dict[str, Any] | None = Field(
        default=None, description="Issue security level id or name (needs SET_ISSUE_SECURITY); null clears it.")
    original_estimate: Duration = Field(default=None, description="Seconds or a duration; while no work is logged "
                                                                  "the remaining estimate follows it.")
    remaining_estimate: Duration = None
    time_spent: Any = Field(default=None, description="Not settable: log work (worklogs) instead.")
    status: Any = Field(default=None, description="Not settable: use a transition.")
    version: int | None = Field(default=None, description="The version you read; a stale one answers 409.")
