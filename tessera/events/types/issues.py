"""Events of an issue's own lifecycle: created, edited, moved through its workflow, linked,
ranked, deleted. Each names the issue (`IssueEvent`), the actor (`user_id`) and the moment
(`timestamp`, ISO 8601)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.events.types.base import IssueEvent, stored_as

# {field id: {"from": display value, "to": display value}}: what live messages show.
FieldChanges = dict[str, dict[str, str | None]]


class IssueLifecycleEvent(IssueEvent):
    """One event per issue created or deleted. On PostgreSQL the create's payload is also built
    inside the one-statement create, so IssueCreated's keys are these and no others."""

    user_id: int | None
    timestamp: str


(IssueCreated,) = IssueLifecycleEvent.variants(issue_created="jira:issue_created")


class IssueDeleted(IssueLifecycleEvent, name="issue_deleted", jira="jira:issue_deleted"):
    """A sub-task deleted with its parent has no `issue_key`. The rest is what the issue's
    notifications need once its row, watchers and components are gone, snapshot at delete time:
    the issue deleted on its own carries it; its sub-tasks and events written before the snapshot
    existed do not (`summary` None), and notify nobody."""

    summary: str | None = None
    reporter_id: int | None = None
    assignee_id: int | None = None
    parent_id: int | None = None
    watcher_ids: list[int] | None = None
    component_ids: list[int] | None = None


class IssueUpdated(IssueEvent, name="issue_updated", jira="jira:issue_updated"):
    field_changes: FieldChanges
    user_id: int | None
    timestamp: str
    issue_version: int = stored_as("version")


# Jira sends a transition as jira:issue_updated, its issue_event_type_name saying which.
class StatusChanged(IssueEvent, name="status_changed", jira="jira:issue_updated"):
    """A transition names itself (`transition`); a parent moved by its sub-task's post-function
    names that sub-task (`caused_by`) instead. The two were written in different key orders,
    which `payload()` keeps. `status_category` ({"from": "todo"|"in_progress"|"done", "to": ...})
    is what a status name does not say: whether the issue left or entered a done status (the
    notifications tell "closed" and "reopened" from other moves by it); events written before it
    existed lack the key."""

    field_changes: FieldChanges
    user_id: int | None
    timestamp: str
    issue_version: int = stored_as("version")
    transition: dict[str, Any] | None = None
    caused_by: str | None = None
    status_category: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        head = {"issue_id": self.issue_id, "issue_key": self.issue_key, "project_id": self.project_id}
        tail = {} if self.status_category is None else {"status_category": self.status_category}
        if self.caused_by is not None:
            return {**head, "field_changes": self.field_changes, "user_id": self.user_id,
                    "timestamp": self.timestamp, "version": self.issue_version, "caused_by": self.caused_by, **tail}
        return {**head, "user_id": self.user_id, "timestamp": self.timestamp, "transition": self.transition,
                "field_changes": self.field_changes, "version": self.issue_version, **tail}

    @staticmethod
    def kind_of(payload: Mapping[str, Any]) -> str:
        """What a transition did, as Jira's event types name it: "issue_resolved" (it gave the
        issue a resolution), "issue_reopened" (it took the resolution away or left a done
        status), "issue_closed" (into a done status without a new resolution: Jira's "Close"
        after "Resolve", or a move between done statuses), else "status_changed" (Jira's
        generic event). Jira fires these from named transitions of its classic workflow; they
        are read here off what the transition did, so every workflow has them. A payload written
        before `status_category` existed is told apart by its resolution alone. One rule for
        the notifications' kinds and the webhooks' issue_event_type_name."""
        changes = payload.get("field_changes")
        resolution = changes.get("resolution") if isinstance(changes, Mapping) else None
        if isinstance(resolution, Mapping):
            if resolution.get("from") is None and resolution.get("to") is not None:
                return "issue_resolved"
            if resolution.get("from") is not None and resolution.get("to") is None:
                return "issue_reopened"
        category = payload.get("status_category")
        if isinstance(category, Mapping):
            if category.get("to") == "done":
                return "issue_closed"
            if category.get("from") == "done":
                return "issue_reopened"
        return StatusChanged.name


class IssueLinkEvent(IssueEvent):
    """One per side of the link: each issue's history gains a line."""

    field_changes: FieldChanges
    user_id: int | None
    timestamp: str


IssueLinkCreated, IssueLinkDeleted = IssueLinkEvent.variants(
    issue_link_created="issuelink_created", issue_link_deleted="issuelink_deleted")


# Jira reports a rank change as an issue update with a "Rank" changelog item.
class IssueRanked(IssueEvent, name="issue_ranked", jira="jira:issue_updated"):
    """Placed right before or right after the anchor issue: exactly one of `rank_before` and
    `rank_after` (the anchor's id) is set, and only that one is written."""

    rank: str
    user_id: int | None
    timestamp: str
    rank_before: int | None = None
    rank_after: int | None = None

    def payload(self) -> dict[str, Any]:
        anchor = {"rank_before": self.rank_before} if self.rank_before is not None else {
            "rank_after": self.rank_after}
        return {"issue_id": self.issue_id, "issue_key": self.issue_key, "project_id": self.project_id,
                "rank": self.rank, **anchor, "user_id": self.user_id, "timestamp": self.timestamp}
