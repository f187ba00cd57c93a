"""Events of projects' settings and membership."""

from __future__ import annotations

from typing import ClassVar

from tessera.events.types.base import DomainEvent, domain_event


@domain_event
class ProjectEvent(DomainEvent):
    aggregate_type: ClassVar[str] = "project"
    project_id: int


@domain_event
class ProjectCreated(ProjectEvent):
    name: ClassVar[str] = "project_created"
    jira_webhook_event: ClassVar[str | None] = "project_created"
    project_key: str
    user_id: int | None


@domain_event
class ProjectUpdated(ProjectEvent):
    """`changed`: the names of the fields that changed, sorted. Live subscriptions re-check
    their access to the project (its access level may be among them)."""

    name: ClassVar[str] = "project_updated"
    jira_webhook_event: ClassVar[str | None] = "project_updated"
    project_key: str
    user_id: int | None
    changed: list[str]


@domain_event
class ProjectRolesChanged(ProjectEvent):
    """A role's members replaced by `user_ids`. Live subscriptions re-check their access."""

    name: ClassVar[str] = "project_roles_changed"
    jira_webhook_event: ClassVar[str | None] = None
    role: str
    user_ids: list[int]
