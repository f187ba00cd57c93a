"""Changing and deleting issues (creating them is tessera.issues.creation). Each action writes
its history items and its outbox event in the caller's transaction, so the change, its history
and its event commit together."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from tessera.db.refs import parse_id, parse_issue_key
from tessera.errors import Conflict, InvalidInput, NotFound, stale_version
from tessera.events.outbox import emit
from tessera.events.types import IssueDeleted, IssueUpdated
from tessera.issues.fields import (
    IssueState,
)
from tessera.issues.history import field_changes_payload, record_change_and_events
from tessera.issues.inputs import IssueUpdate
from tessera.issues.models import (
    Issue,
    IssueComponent,
)
from tessera.issues.references import catalog_for
from tessera.issues.sql.guarded_update import guarded_update
from tessera.issues.state import Describer, diff_states, load_state, parts_of
from tessera.issues.state_writes import resolve_state, write_children
from tessera.issues.watchers.autowatch import auto_watch
from tessera.issues.watchers.models import IssueWatcher
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

_WITH_PROJECT = select(Issue, Project).join(Project, Project.id == Issue.project_id)
_ISSUE_BY_ID = _WITH_PROJECT.where(Issue.organization_id == bindparam("org"), Issue.id == bindparam("id"))
_ISSUE_BY_KEY = _WITH_PROJECT.where(Issue.organization_id == bindparam("org"), Issue.key == bindparam("key"))


def _now() -> datetime:
    return datetime.now(UTC)


async def access_issue(session: AsyncSession, actor: Actor, ref: object,
                       permission: Permission = Permission.BROWSE_PROJECTS) -> tuple[Issue, Project]:
    """Load an issue (by id or key) with its project in one query and authorize; invisible
    issues are NotFound."""
    issue_id, key = parse_id(ref), parse_issue_key(ref)
    if issue_id is not None:
        statement, params = _ISSUE_BY_ID, {"org": actor.organization_id, "id": issue_id}
    elif key is not None:
        statement, params = _ISSUE_BY_KEY, {"org": actor.organization_id, "key": key}
    else:
        raise NotFound("Issue does not exist or you do not have permission to see it.")
    row = (await session.execute(statement, params)).first()
    if row is None:
        raise NotFound("Issue does not exist or you do not have permission to see it.")
    issue, project = row
    try:
        await authorize(session, actor, permission, project, issue)
    except NotFound:
        raise NotFound("Issue does not exist or you do not have permission to see it.") from None
    return issue, project


def _conflict(issue: Issue, expected: int, *, via_if_match: bool, conflicting: list[str]) -> Conflict:
    return stale_version(
        f"{issue.key} was changed by someone else: you sent version {expected}, the current version is "
        f"{issue.version}. Reload it and apply your change again.", via_if_match=via_if_match,
        data={"current_version": issue.version, "your_version": expected, "conflicting_fields": conflicting})


async def check_update_issue(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                             data: IssueUpdate, expected_version: int | None = None,
                             via_if_match: bool = False, at: datetime | None = None) -> Issue:
    if "status" in data.model_fields_set:
        raise InvalidInput("The status changes only through a workflow transition: "
                           "POST /v2/issues/{issue_id}/transitions/{transition_id}.", field="status")
    await authorize(session, actor, Permission.EDIT_ISSUES, project, issue)
    expected = expected_version if expected_version is not None else data.version
    catalog = await catalog_for(session, actor)
    new = await resolve_state(session, actor=actor, project=project, catalog=catalog,
                               data=data, issue=issue)
    old = await load_state(session, issue, parts_of(new))
    describer = Describer(catalog, known_users={actor.user_id: actor.display_name})
    await describer.load(session, actor.organization_id, [old, new])
    changes = diff_states(old, new, describer)
    if expected is not None and expected != issue.version:
        raise _conflict(issue, expected, via_if_match=via_if_match, conflicting=[c.field_id for c in changes])
    if not changes:
        return issue
    return await do_update_issue(session, actor=actor, issue=issue, new=new, changes=changes, at=at or _now(),
                                 via_if_match=via_if_match and expected is not None)


async def do_update_issue(session: AsyncSession, *, actor: Actor, issue: Issue, new: IssueState,
                          changes: list, at: datetime, via_if_match: bool = False) -> Issue:
    """The conditional UPDATE on `version` is what makes concurrent writers safe: of two writers
    that read the same version, exactly one matches here; the other gets a Conflict, a
    PreconditionFailed when the version it read came as If-Match (`via_if_match`)."""
    changed_scalars = {name: value for name, value in new.scalars.items()
                       if getattr(issue, name) != value}
    read_version = issue.version
    connection = await session.connection()
    result = await connection.execute(guarded_update(frozenset(changed_scalars)), {
        **changed_scalars, "updated_at": at, "w_id": issue.id, "w_org": issue.organization_id,
        "w_version": read_version})
    if result.rowcount != 1:
        await session.refresh(issue)
        raise _conflict(issue, read_version, via_if_match=via_if_match, conflicting=[c.field_id for c in changes])
    # The row now holds exactly these values: set them rather than read the row back.
    for name, value in {**changed_scalars, "updated_at": at, "version": read_version + 1}.items():
        set_committed_value(issue, name, value)
    await write_children(session, issue, new, replace=True)
    if changed_scalars.get("assignee_id"):
        await auto_watch(session, issue, (changed_scalars["assignee_id"],), at)
    await record_change_and_events(session, issue=issue, author_id=actor.user_id, changes=changes, at=at, events=[
        IssueUpdated(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id,
                     field_changes=field_changes_payload(changes), user_id=actor.user_id, timestamp=at.isoformat(),
                     issue_version=issue.version)])
    return issue


async def _deleted_snapshot(session: AsyncSession, issue: Issue) -> dict:
    """What the notifications of the deletion need once the issue's row, watchers and components
    are gone (IssueDeleted's optional fields)."""
    watchers = (await session.scalars(select(IssueWatcher.user_id).where(
        IssueWatcher.organization_id == issue.organization_id, IssueWatcher.issue_id == issue.id)
        .order_by(IssueWatcher.user_id))).all()
    components = (await session.scalars(select(IssueComponent.component_id).where(
        IssueComponent.organization_id == issue.organization_id, IssueComponent.issue_id == issue.id)
        .order_by(IssueComponent.component_id))).all()
    return {"summary": issue.summary, "reporter_id": issue.reporter_id, "assignee_id": issue.assignee_id,
            "parent_id": issue.parent_id, "watcher_ids": list(watchers), "component_ids": list(components)}


async def check_delete_issue(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                             delete_subtasks: bool = False) -> list[int]:
    """Returns the ids deleted. Sub-tasks go only when asked, as in Jira; epic children stay."""
    await authorize(session, actor, Permission.DELETE_ISSUES, project, issue)
    subtask_ids = list((await session.scalars(select(Issue.id).where(
        Issue.organization_id == actor.organization_id, Issue.parent_id == issue.id,
        Issue.project_id == issue.project_id))).all())
    if subtask_ids:
        catalog = await catalog_for(session, actor)
        subtask_types = {t.id for t in catalog.issue_types if t.hierarchy_level < 0}
        count = await session.scalar(select(func.count()).select_from(Issue).where(
            Issue.id.in_(subtask_ids), Issue.issue_type_id.in_(subtask_types)))
        if count and not delete_subtasks:
            raise InvalidInput(f"{issue.key} has {count} sub-task(s); delete them too with delete_subtasks=true.",
                               field="delete_subtasks")
        subtask_ids = list((await session.scalars(select(Issue.id).where(
            Issue.id.in_(subtask_ids), Issue.issue_type_id.in_(subtask_types)))).all())
    deleted = [*subtask_ids, issue.id]
    at = _now()
    for issue_id in deleted:
        key = issue.key if issue_id == issue.id else None
        snapshot = await _deleted_snapshot(session, issue) if issue_id == issue.id else {}
        await emit(session, IssueDeleted(issue_id=issue_id, issue_key=key, project_id=issue.project_id,
                                         user_id=actor.user_id, timestamp=at.isoformat(), **snapshot),
                   organization_id=actor.organization_id, aggregate_id=issue_id, actor_id=actor.user_id)
    await session.execute(delete(Issue).where(Issue.organization_id == actor.organization_id,
                                              Issue.id.in_(deleted)))
    return deleted
