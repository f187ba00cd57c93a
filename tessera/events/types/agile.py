"""Events of boards and sprints. Their payloads carry the project, so project-scoped consumers
route them without reading the board or sprint."""

from __future__ import annotations

from tessera.events.types.base import DomainEvent, stored_as


class SprintEvent(DomainEvent, aggregate="sprint"):
    """Every sprint event names the sprint as it is after the change."""

    sprint_id: int
    sprint_name: str = stored_as("name")
    state: str
    project_id: int
    user_id: int | None
    timestamp: str


class SprintCreated(SprintEvent, name="sprint_created", jira="sprint_created"):
    board_id: int


class SprintUpdated(SprintEvent, name="sprint_updated", jira="sprint_updated"):
    """`changed`: the names of the fields that changed, sorted."""

    changed: list[str]


class SprintStarted(SprintEvent, name="sprint_started", jira="sprint_started"):
    """`start_at`, `end_at`: ISO 8601; `issue_count`: the issues committed at the start."""

    board_id: int
    goal: str
    start_at: str
    end_at: str
    issue_count: int


class SprintCompleted(SprintEvent, name="sprint_completed", jira="sprint_closed"):
    """`moved_to`: the sprint id the incomplete issues moved to, or "backlog"."""

    board_id: int | None
    completed_issue_ids: list[int]
    incomplete_issue_ids: list[int]
    moved_issue_ids: list[int]
    moved_to: int | str


class BoardEvent(DomainEvent, aggregate="board"):
    board_id: int
    board_name: str = stored_as("name")
    project_id: int
    user_id: int | None
    timestamp: str


class BoardUpdated(BoardEvent, name="board_updated", jira="board_updated"):
    """`changed`: the names of the settings that changed, sorted."""

    changed: list[str]


BoardCreated, BoardDeleted = BoardEvent.variants(
    board_created="board_created", board_deleted="board_deleted")
