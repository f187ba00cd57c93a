"""Events of projects' settings and membership."""

from __future__ import annotations

from tessera.events.types.base import DomainEvent


class ProjectEvent(DomainEvent, aggregate="project"):
    project_id: int


class ProjectCreated(ProjectEvent, name="project_created", jira="project_created"):
    project_key: str
    user_id: int | None


class ProjectUpdated(ProjectEvent, name="project_updated", jira="project_updated"):
    """`changed`: the names of the fields that changed, sorted. Live subscriptions re-check
    their access to the project (its access level may be among them)."""

    project_key: str
    user_id: int | None
    changed: list[str]


class ProjectDeleted(ProjectEvent, name="project_deleted", jira=None):
    """The project and everything in it deleted (Jira's DELETE /project/{key}). No webhook: Jira's
    project_deleted payload is the project, which is gone. Live subscriptions drop its access."""

    project_key: str
    user_id: int | None
    issue_count: int


class ProjectRolesChanged(ProjectEvent, name="project_roles_changed", jira=None):
    """A role's members replaced by `user_ids`. Live subscriptions re-check their access."""

    role: str
    user_ids: list[int]
