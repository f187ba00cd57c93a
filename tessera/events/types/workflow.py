"""Events of workflows: a definition published, and the named events that a transition's
`fire_event` post-function fires."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from tessera.events.types.base import DomainEvent, IssueEvent, domain_event, stored_as


@domain_event
class WorkflowPublished(DomainEvent):
    """`moved`: for each status the new definition dropped, how many issues left it."""

    name: ClassVar[str] = "workflow_published"
    aggregate_type: ClassVar[str] = "workflow"
    jira_webhook_event: ClassVar[str | None] = None
    workflow_id: int
    workflow_version: int = stored_as("version")
    moved: dict[str, int]
    user_id: int | None
    timestamp: str


@domain_event
class WorkflowEventFired(IssueEvent):
    """An event a workflow's author named (`fire_event`), so its outbox name is data, not a
    class attribute: any name outside the catalog read back from the outbox is one of these.
    Jira delivers such custom events as jira:issue_updated, the name in issue_event_type_name."""

    jira_webhook_event: ClassVar[str | None] = "jira:issue_updated"
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
