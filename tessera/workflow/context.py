"""What a workflow rule may look at: an immutable snapshot of the issue, facts about the acting
user, and what the user entered on the transition screen. The issues service loads these
before the engine runs, so the engine and every rule stay pure (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StatusInfo:
    id: int
    name: str
    category: str  # todo | in_progress | done


@dataclass(frozen=True)
class IssueSnapshot:
    id: int
    key: str
    project_id: int
    issue_type_id: int
    status_id: int
    assignee_id: int | None
    reporter_id: int | None
    resolution_id: int | None
    parent_id: int | None
    # Field values by the names rules use: summary, description, priority, assignee, reporter,
    # resolution, labels, components, fix_versions, due_date, and custom fields by key.
    fields: dict[str, Any] = field(default_factory=dict)
    subtask_status_ids: tuple[int, ...] = ()
    open_blocker_keys: tuple[str, ...] = ()
    parent_status_id: int | None = None
    visited_status_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ActorFacts:
    user_id: int
    org_role: str
    permissions: frozenset[str] = frozenset()
    project_roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RuleContext:
    issue: IssueSnapshot
    actor: ActorFacts
    statuses: dict[int, StatusInfo]
    to_status_id: int
    screen: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None
    project_lead_id: int | None = None
    now: datetime | None = None

    def status(self, status_id: int | None) -> StatusInfo | None:
        return self.statuses.get(status_id) if status_id is not None else None

    def value(self, name: str) -> Any:
        """A field's value as the transition will leave it: screen input wins over the issue."""
        if name in self.screen:
            return self.screen[name]
        if name == "comment":
            return self.comment
        return self.issue.fields.get(name)
