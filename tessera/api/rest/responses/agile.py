"""Boards, sprints, backlog and ranking as /v2 answers them (tessera.agile)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.api.rest.responses.common import Out, Page


class BoardLocation(Out):
    project_id: int
    project_key: str
    project_name: str


class BoardBrief(Out):
    id: int
    name: str
    type: str = Field(description="scrum or kanban")
    filter_id: int | None
    owner_id: int | None
    location: BoardLocation


class BoardPageOut(Page):
    boards: list[BoardBrief]


class BoardFilter(Out):
    id: int
    name: str
    jql: str


class BoardOut(Out):
    id: int
    name: str
    type: str
    location: BoardLocation
    filter: BoardFilter | None = Field(description="null when you may not see the board's filter.")
    owner_id: int | None
    columns: list[dict[str, Any]] = Field(description="{name, min, max, status_ids}")
    swimlanes: dict[str, Any] = Field(description="{type, queries}")
    quick_filters: list[dict[str, Any]]
    sub_filter: str | None
    allow_parallel_sprints: bool
    version: int
    can_manage: bool


class Card(Out):
    """An issue as a board shows it."""

    id: int
    key: str
    summary: str
    issue_type: dict[str, Any]
    status: dict[str, Any]
    version: int


class BoardColumn(Out):
    name: str
    min: int | None
    max: int | None
    statuses: list[dict[str, Any]]
    count: int
    wip_broken: str | None = Field(description='"min", "max" or null.')
    issues: list[Card]


class SprintOut(Out):
    id: int
    name: str
    state: str = Field(description="future, active or closed")
    goal: str | None
    project_id: int
    board_id: int | None
    start_at: str | None
    end_at: str | None
    completed_at: str | None
    activated_at: str | None


class BoardIssuesOut(Out):
    board_id: int
    type: str
    filter_visible: bool
    sprints: list[SprintOut]
    total: int
    shown: int
    truncated: bool
    columns: list[BoardColumn]
    swimlanes: dict[str, Any] = Field(description="{type, lanes}")
    quick_filters: list[dict[str, Any]]


class BacklogOut(Page):
    board_id: int
    filter_visible: bool
    issues: list[Card]


class BoardSprintsOut(Out):
    board_id: int
    sprints: list[SprintOut]


class SprintIssuesOut(Page):
    sprint_id: int
    issues: list[Card]


class SprintMember(Out):
    id: int
    key: str
    version: int


class SprintIssuesAddedOut(Out):
    sprint_id: int
    issues: list[SprintMember]


class SprintCompletedOut(Out):
    sprint: SprintOut
    completed_issue_ids: list[int]
    incomplete_issue_ids: list[int]
    moved_issue_ids: list[int]
    moved_to: int | str = Field(description='The sprint the open issues moved to, or "backlog".')


class ScopeChangesOut(Out):
    sprint: SprintOut
    totals: dict[str, dict[str, float]] = Field(description="{change: {count, estimate}}")
    changes: list[dict[str, Any]]


class CardMovedOut(Out):
    id: int
    key: str
    status: dict[str, Any]
    version: int
    rank: str | None


class RankOut(Out):
    issue_id: int
    key: str
    rank: str
