"""Rule contexts built by hand: the engine and every rule are pure, so they need no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tessera.workflow.context import ActorFacts, IssueSnapshot, RuleContext, StatusInfo

TODO, IN_PROGRESS, IN_REVIEW, DONE = 1, 2, 3, 4
STATUSES = {
    TODO: StatusInfo(TODO, "To Do", "todo"),
    IN_PROGRESS: StatusInfo(IN_PROGRESS, "In Progress", "in_progress"),
    IN_REVIEW: StatusInfo(IN_REVIEW, "In Review", "in_progress"),
    DONE: StatusInfo(DONE, "Done", "done"),
}
ACTOR_ID, REPORTER_ID, LEAD_ID = 10, 20, 30
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def snapshot(**changes: Any) -> IssueSnapshot:
    base = IssueSnapshot(id=100, key="PROJ-1", project_id=5, issue_type_id=7, status_id=TODO, assignee_id=None,
                         reporter_id=REPORTER_ID, resolution_id=None, parent_id=None,
                         fields={"summary": "A bug", "priority": "High", "labels": ["backend", "ui"],
                                 "story_points": 5, "due_date": None})
    return replace(base, **changes)


def actor(**changes: Any) -> ActorFacts:
    return replace(ActorFacts(user_id=ACTOR_ID, org_role="member", permissions=frozenset({"TRANSITION_ISSUES"})),
                   **changes)


def context(*, issue: IssueSnapshot | None = None, facts: ActorFacts | None = None, to_status_id: int = IN_PROGRESS,
            screen: dict[str, Any] | None = None, comment: str | None = None) -> RuleContext:
    return RuleContext(issue=issue or snapshot(), actor=facts or actor(), statuses=STATUSES,
                       to_status_id=to_status_id, screen=screen or {}, comment=comment, project_lead_id=LEAD_ID,
                       now=NOW)
