"""Events of an issue's own lifecycle: created, edited, moved through its workflow, linked,
ranked, deleted. Each names the issue (`IssueEvent`), the actor (`user_id`) and the moment
(`timestamp`, ISO 8601)."""

from __future__ import annotations

from typing import Any

from tessera.events.types.base import IssueEvent, stored_as

# {field id: {"from": display value, "to": display value}}: what live messages show.
FieldChanges = dict[str, dict[str, str | None]]


class IssueLifecycleEvent(IssueEvent):
    """One event per issue created or deleted. A sub-task deleted with its parent has no
    `issue_key`; on PostgreSQL the create's payload is also built inside the one-statement create."""

    user_id: int | None
    timestamp: str


IssueCreated, IssueDeleted = IssueLifecycleEvent.variants(
    issue_created="jira:issue_created", issue_deleted="jira:issue_deleted")


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
