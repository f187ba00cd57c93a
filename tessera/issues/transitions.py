"""Moving an issue along its workflow: the transition's source must match the current status.
Keeps resolution and resolved time in step with the Done category."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import Conflict, InvalidInput
from tessera.events.outbox import emit
from tessera.issues.catalog import catalog_for
from tessera.issues.comments import check_add_comment
from tessera.issues.history import FieldChange, field_changes_payload, record_changes
from tessera.issues.models import Issue
from tessera.projects.catalog import resolve_named
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize
from tessera.workflow.catalog import find_transition, transitions_from
from tessera.workflow.models import Workflow


async def available_transitions(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project) -> list[dict]:
    await authorize(session, actor, Permission.BROWSE_PROJECTS, project)
    workflow = await session.get(Workflow, issue.workflow_id)
    assert workflow is not None
    catalog = await catalog_for(session, actor)
    return [{"id": t["id"], "name": t["name"], "to": {"id": t["to"], "name": catalog.status(t["to"]).name,
                                                       "category": catalog.status(t["to"]).category}}
            for t in transitions_from(workflow, issue.status_id)]


async def check_transition_issue(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                 transition_ref: str, resolution: object = None, comment: str | None = None,
                                 expected_version: int | None = None, at: datetime | None = None) -> Issue:
    await authorize(session, actor, Permission.TRANSITION_ISSUES, project)
    workflow = await session.get(Workflow, issue.workflow_id)
    assert workflow is not None
    transition = find_transition(workflow, transition_ref)
    if transition is None:
        raise InvalidInput(f"Transition '{str(transition_ref)[:100]}' is not in the issue's workflow.",
                           field="transition_id")
    if transition["from"] and issue.status_id not in transition["from"] or transition["to"] == issue.status_id:
        raise Conflict(f"Transition '{transition['name']}' is not available from the issue's current status.",
                       code="transition_unavailable")
    if expected_version is not None and expected_version != issue.version:
        raise Conflict(f"{issue.key} was changed by someone else.", code="version_conflict",
                       data={"current_version": issue.version})
    catalog = await catalog_for(session, actor)
    at = at or datetime.now(UTC)
    old_status, new_status = catalog.status(issue.status_id), catalog.status(transition["to"])
    changes = [FieldChange("status", "status", str(old_status.id), old_status.name, str(new_status.id),
                           new_status.name)]
    values: dict[str, object] = {"status_id": new_status.id}
    old_resolution = catalog.resolution(issue.resolution_id)
    if new_status.category == "done":
        chosen = (resolve_named(catalog.resolutions, resolution, field="resolution", what="resolution")
                  if resolution is not None else
                  next((r for r in catalog.resolutions if r.name == ("Won't Do" if new_status.name == "Won't Do"
                                                                     else "Done")), catalog.resolutions[0]))
        values.update(resolution_id=chosen.id, resolved_at=at)
        if old_resolution is None or old_resolution.id != chosen.id:
            changes.append(FieldChange("resolution", "resolution", str(old_resolution.id) if old_resolution else None,
                                       old_resolution.name if old_resolution else None, str(chosen.id), chosen.name))
    elif old_resolution is not None:
        values.update(resolution_id=None, resolved_at=None)
        changes.append(FieldChange("resolution", "resolution", str(old_resolution.id), old_resolution.name,
                                   None, None))
    result = await session.execute(
        update(Issue).where(Issue.id == issue.id, Issue.organization_id == issue.organization_id,
                            Issue.version == issue.version, Issue.status_id == issue.status_id)
        .values(**values, updated_at=at, version=issue.version + 1).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(f"{issue.key} was changed by someone else.", code="version_conflict")
    await record_changes(session, issue=issue, author_id=actor.user_id, changes=changes, at=at)
    await session.refresh(issue)
    await emit(session, organization_id=issue.organization_id, event_type="status_changed", aggregate_type="issue",
               aggregate_id=issue.id, actor_id=actor.user_id, payload={
                   "issue_id": issue.id, "issue_key": issue.key, "project_id": issue.project_id,
                   "transition": {"id": transition["id"], "name": transition["name"]},
                   "field_changes": field_changes_payload(changes), "user_id": actor.user_id,
                   "timestamp": at.isoformat(), "version": issue.version})
    if comment:
        await check_add_comment(session, actor=actor, issue=issue, project=project, body=comment, at=at)
    return issue
