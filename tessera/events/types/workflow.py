"""Events of workflows: a definition published, and the named events that a transition's
`fire_event` post-function fires."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.events.types.base import DomainEvent, IssueEvent, stored_as


class WorkflowPublished(DomainEvent, name="workflow_published", jira=None, aggregate="workflow"):
    """`moved`: for each status the new definition dropped, how many issues left it."""

    workflow_id: int
    workflow_version: int = stored_as("version")
    moved: dict[str, int]
    user_id: int | None
    timestamp: str


# Jira delivers custom events as jira:issue_updated, the name in issue_event_type_name.
class WorkflowEventFired(IssueEvent, jira="jira:issue_updated"):
    """An event a workflow's author named (`fire_event`), so its outbox name is data, not a
    class attribute: any name outside the catalog read back from the outbox is one of these."""

    event_name: str
    user_id: int | None
    timestamp: str
    transition: dict[str, Any]

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.event_name

    def payload(self) -> dict[str, Any]:
        return {"issue_id": self.issue_id, "issue_key": self.issue_key, "project_id": self.project_id,
                "user_id": self.user_id, "timestamp": self.timestamp, "transition": self.transition}

    @classmethod
    def fired(cls, event_name: str, payload: Mapping[str, Any]) -> WorkflowEventFired:
        """The event of an outbox row whose name is not in the catalog."""
        return cls(event_name=event_name, **payload)
