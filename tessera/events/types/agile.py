"""Events of boards and sprints. Their payloads carry the project, so project-scoped consumers
route them without reading the board or sprint."""

from __future__ import annotations

from typing import ClassVar

from tessera.events.types.base import DomainEvent, domain_event, stored_as


@domain_event
class SprintEvent(DomainEvent):
    aggregate_type: ClassVar[str] = "sprint"
    sprint_id: int
    sprint_name: str = stored_as("name")
    state: str
    project_id: int
    user_id: int | None
    timestamp: str


@domain_event
class SprintCreated(SprintEvent):
    name: ClassVar[str] = "sprint_created"
    jira_webhook_event: ClassVar[str | None] = "sprint_created"
    board_id: int


@domain_event
class SprintUpdated(SprintEvent):
    """`changed`: the names of the fields that changed, sorted."""

    name: ClassVar[str] = "sprint_updated"
    jira_webhook_event: ClassVar[str | None] = "sprint_updated"
    changed: list[str]


@domain_event
class SprintStarted(SprintEvent):
    """`start_at`, `end_at`: ISO 8601; `issue_count`: the issues committed at the start."""

    name: ClassVar[str] = "sprint_started"
    jira_webhook_event: ClassVar[str | None] = "sprint_started"
    board_id: int
    goal: str
    start_at: str
    end_at: str
    issue_count: int


@domain_event
class SprintCompleted(SprintEvent):
    """`moved_to`: the sprint id the incomplete issues moved to, or "backlog"."""

    name: ClassVar[str] = "sprint_completed"
    jira_webhook_event: ClassVar[str | None] = "sprint_closed"
    board_id: int | None
    completed_issue_ids: list[int]
    incomplete_issue_ids: list[int]
    moved_issue_ids: list[int]
    moved_to: int | str


@domain_event
class BoardEvent(DomainEvent):
    aggregate_type: ClassVar[str] = "board"
    board_id: int
    board_name: str = stored_as("name")
    project_id: int
    user_id: int | None
    timestamp: str


@domain_event
class BoardCreated(BoardEvent):
    name: ClassVar[str] = "board_created"
    jira_webhook_event: ClassVar[str | None] = "board_created"


@domain_event
class BoardUpdated(BoardEvent):
    """`changed`: the names of the settings that changed, sorted."""

    name: ClassVar[str] = "board_updated"
    jira_webhook_event: ClassVar[str | None] = "board_updated"
    changed: list[str]


@domain_event
class BoardDeleted(BoardEvent):
    name: ClassVar[str] = "board_deleted"
    jira_webhook_event: ClassVar[str | None] = "board_deleted"
