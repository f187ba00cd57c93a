"""Creating, changing and deleting issues. Each action writes its history items and its outbox
event in the caller's transaction, so the change, its history and its event commit together."""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Update, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from tessera.db.refs import parse_id, parse_issue_key
from tessera.errors import Conflict, InvalidInput, NotFound, stale_version
from tessera.events.outbox import emit, remember_emitted
from tessera.events.types import IssueCreated, IssueDeleted, IssueUpdated
from tessera.issues.creation_sql import CREATE_ISSUE
from tessera.issues.fields import (
    IssueState,
    normalize_labels,
    resolve_custom_fields,
    resolve_parent,
    resolve_parts,
    resolve_user,
    validate_due_date,
)
from tessera.issues.history import field_changes_payload, record_change_and_events
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.models import (
    CustomFieldValue,
    Issue,
    IssueComponent,
    IssueLabel,
    IssueVersion,
)
from tessera.issues.ranks import ISSUE_RANKS, tail_prefix, tail_rank
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.state import Describer, diff_states, load_state, parts_of
from tessera.issues.time_tracking import resolve_estimates
from tessera.issues.watchers.autowatch import auto_watch
from tessera.projects.catalog import resolve_named
from tessera.projects.custom_fields import TypedValue
from tessera.projects.models import Component, Project, Version
from tessera.projects.service import access_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize
from tessera.workflow.lookup import pick_workflow
from tessera.workflow.models import Workflow
from tessera.workflow.templates import TEMPLATES

_ISSUES = Issue.__table__
_LABELS = IssueLabel.__table__
_COMPONENTS = IssueComponent.__table__
_VERSIONS = IssueVersion.__table__
_VALUES = CustomFieldValue.__table__
_PROJECTS = Project.__table__
_INSERT_ISSUE = insert(_ISSUES).returning(_ISSUES.c.id)
_WITH_PROJECT = select(Issue, Project).join(Project, Project.id == Issue.project_id)
_ISSUE_BY_ID = _WITH_PROJECT.where(Issue.organization_id == bindparam("org"), Issue.id == bindparam("id"))
_ISSUE_BY_KEY = _WITH_PROJECT.where(Issue.organization_id == bindparam("org"), Issue.key == bindparam("key"))
_NEXT_NUMBER = (update(_PROJECTS).where(_PROJECTS.c.id == bindparam("project"),
                                         _PROJECTS.c.organization_id == bindparam("org"))
                .values(issue_counter=_PROJECTS.c.issue_counter + 1, updated_at=bindparam("now"))
                .returning(_PROJECTS.c.issue_counter))


@functools.lru_cache(maxsize=256)
def guarded_update(columns: frozenset[str], *, status_guard: bool = False) -> Update:
    """UPDATE issues SET <columns>, updated_at, version = version + 1 WHERE the id, organization
    and version read (and, for transitions, the status) still match. Cached by the set of
    columns: building the statement per call costs more than running it. Parameters: the column
    names, plus w_id, w_org, w_version (and w_status)."""
    conditions = [_ISSUES.c.id == bindparam("w_id"), _ISSUES.c.organization_id == bindparam("w_org"),
                  _ISSUES.c.version == bindparam("w_version")]
    if status_guard:
        conditions.append(_ISSUES.c.status_id == bindparam("w_status"))
    return update(_ISSUES).where(*conditions).values(
        {**{name: bindparam(name) for name in sorted(columns)}, "updated_at": bindparam("updated_at"),
         "version": _ISSUES.c.version + 1})


def workflow_for_new_issue(catalog: OrgCatalog, project: Project, issue_type_id: int, ref: object | None
                           ) -> Workflow:
    """An explicit workflow, else the project's workflow scheme (by issue type), else the scheme
    of the project's type, else the organization's default workflow."""
    if ref is not None:
        return pick_workflow(catalog.workflows, ref, None)
    scheme = next((s for s in catalog.schemes if s.id == project.workflow_scheme_id), None)
    if scheme is None:
        wanted = TEMPLATES.get(project.project_type, TEMPLATES["software"])["name"] + " scheme"
        scheme = next((s for s in catalog.schemes if s.name == wanted), None)
    if scheme is not None:
        workflow_id = scheme.mappings.get(str(issue_type_id), scheme.default_workflow_id)
        return catalog.workflow(workflow_id)
    return pick_workflow(catalog.workflows, None, project.default_workflow_id)


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
        await authorize(session, actor, permission, project)
    except NotFound:
        raise NotFound("Issue does not exist or you do not have permission to see it.") from None
    return issue, project


async def write_children(session: AsyncSession, issue: Issue, state: IssueState, *, replace: bool) -> None:
    # Core statements on the session's connection: the ORM's bulk machinery costs more than the writes.
    connection = await session.connection()
    org, issue_id = issue.organization_id, issue.id
    if state.labels is not None:
        if replace:
            await connection.execute(delete(_LABELS).where(_LABELS.c.organization_id == org,
                                                           _LABELS.c.issue_id == issue_id))
        if state.labels:
            await connection.execute(insert(_LABELS), [
                {"organization_id": org, "issue_id": issue_id, "label": label} for label in state.labels])
    if state.components is not None:
        if replace:
            await connection.execute(delete(_COMPONENTS).where(_COMPONENTS.c.organization_id == org,
                                                               _COMPONENTS.c.issue_id == issue_id))
        if state.components:
            await connection.execute(insert(_COMPONENTS), [
                {"organization_id": org, "issue_id": issue_id, "component_id": c} for c in state.components])
    for kind, ids in (("fix", state.fix_versions), ("affected", state.affected_versions)):
        if ids is None:
            continue
        if replace:
            await connection.execute(delete(_VERSIONS).where(
                _VERSIONS.c.organization_id == org, _VERSIONS.c.issue_id == issue_id, _VERSIONS.c.kind == kind))
        if ids:
            await connection.execute(insert(_VERSIONS), [
                {"organization_id": org, "issue_id": issue_id, "version_id": v, "kind": kind} for v in ids])
    for field_id, values in state.custom.items():
        if replace:
            await connection.execute(delete(_VALUES).where(
                _VALUES.c.organization_id == org, _VALUES.c.issue_id == issue_id, _VALUES.c.field_id == field_id))
        if values:
            await connection.execute(insert(_VALUES), [_value_row(issue, field_id, v) for v in values])


def _value_row(issue: Issue, field_id: int, value: TypedValue) -> dict[str, object]:
    return {"organization_id": issue.organization_id, "issue_id": issue.id, "field_id": field_id,
            "value_number": value.number, "value_text": value.text, "value_date": value.day,
            "value_ref": value.ref}


async def resolve_state(session: AsyncSession, *, actor: Actor, project: Project, catalog: OrgCatalog,
                         data: IssueCreate | IssueUpdate, issue: Issue | None) -> IssueState:
    """Turn the fields present in `data` into stored values, validating each."""
    present = data.model_fields_set
    org = actor.organization_id
    state = IssueState()
    issue_type = catalog.issue_type(issue.issue_type_id) if issue else None
    if "issue_type" in present and data.issue_type is not None:
        issue_type = resolve_named(catalog.issue_types, data.issue_type, field="issue_type", what="issue type")
        state.scalars["issue_type_id"] = issue_type.id
    elif "issue_type" in present:
        raise InvalidInput("An issue needs an issue type.", field="issue_type")
    assert issue_type is not None
    if issue is not None and "issue_type_id" in state.scalars:
        old_level = catalog.issue_type(issue.issue_type_id).hierarchy_level
        if (old_level < 0) != (issue_type.hierarchy_level < 0):
            raise InvalidInput("Changing between sub-task and standard types is a move, not an edit.",
                               field="issue_type")
    if "summary" in present:
        if data.summary is None or not data.summary.strip():
            raise InvalidInput("Summary is required.", field="summary")
        if any(ch in data.summary for ch in "\r\n"):
            raise InvalidInput("The summary must be a single line.", field="summary")
        state.scalars["summary"] = data.summary.strip()
    if "description" in present:
        state.scalars["description"] = data.description or ""
    if "priority" in present:
        state.scalars["priority_id"] = (
            resolve_named(catalog.priorities, data.priority, field="priority", what="priority").id
            if data.priority is not None else catalog.default_priority.id)
    for name in ("assignee_id", "reporter_id"):
        if name in present:
            ref = getattr(data, name)
            # The caller is active (they just authenticated): no need to look them up.
            state.scalars[name] = actor.user_id if parse_id(ref) == actor.user_id else \
                await resolve_user(session, org, ref, field_name=name)
    if "assignee_id" in present and state.scalars["assignee_id"] is not None and (
            issue is None or state.scalars["assignee_id"] != issue.assignee_id):
        await authorize(session, actor, Permission.ASSIGN_ISSUES, project)
    if "due_date" in present:
        state.scalars["due_date"] = validate_due_date(data.due_date)
    if "parent_id" in present or ("issue_type_id" in state.scalars and issue is not None) or issue is None:
        parent_ref = data.parent_id if "parent_id" in present else (
            issue.parent_id if issue is not None else None)
        state.scalars["parent_id"] = await resolve_parent(session, project, issue_type, parent_ref, catalog,
                                                          issue_id=issue.id if issue else None)
    if "labels" in present:
        state.labels = normalize_labels(data.labels or [])
    if "components" in present:
        state.components = await resolve_parts(session, Component, project, data.components or [],
                                               field_name="components", found_rows=state.component_rows)
    if "fix_versions" in present:
        state.fix_versions = await resolve_parts(session, Version, project, data.fix_versions or [],
                                                 field_name="fix_versions", found_rows=state.version_rows)
    if "affected_versions" in present:
        state.affected_versions = await resolve_parts(session, Version, project, data.affected_versions or [],
                                                      field_name="affected_versions",
                                                      found_rows=state.version_rows)
    if "custom_fields" in present and data.custom_fields:
        state.custom = await resolve_custom_fields(session, project, issue_type, data.custom_fields, catalog)
    resolve_estimates(data, state, issue)
    return state


class NewIssue(NamedTuple):
    """A created issue with what it was made from, enough to render it without reading it back."""

    issue: Issue
    project: Project
    state: IssueState
    catalog: OrgCatalog


async def check_create_issue(session: AsyncSession, *, actor: Actor, data: IssueCreate,
                             catalog: OrgCatalog | None = None, at: datetime | None = None) -> Issue:
    return (await check_create_issue_for_view(session, actor=actor, data=data, catalog=catalog, at=at)).issue


async def check_create_issue_for_view(session: AsyncSession, *, actor: Actor, data: IssueCreate,
                       catalog: OrgCatalog | None = None, at: datetime | None = None) -> NewIssue:
    try:
        project = await access_project(session, actor, data.project_id, Permission.CREATE_ISSUES)
    except NotFound:
        raise InvalidInput(f"The project '{str(data.project_id)[:100]}' does not exist.",
                           field="project_id") from None
    if project.archived:
        raise InvalidInput(f"Project {project.key} is archived.", field="project_id")
    catalog = catalog or await catalog_for(session, actor)
    data = data.model_copy()
    fields_set = set(data.model_fields_set) | {"issue_type", "summary", "priority"}
    if data.reporter_id is None:
        data.reporter_id = actor.user_id
        fields_set.add("reporter_id")
    data.__pydantic_fields_set__ = fields_set
    state = await resolve_state(session, actor=actor, project=project, catalog=catalog, data=data, issue=None)
    workflow = workflow_for_new_issue(catalog, project, state.scalars["issue_type_id"], data.workflow_id)
    issue = await do_create_issue(session, actor=actor, project=project, state=state,
                                  workflow_id=workflow.id, status_id=workflow.definition["initial_status"],
                                  at=at or _now())
    return NewIssue(issue, project, state, catalog)


async def do_create_issue(session: AsyncSession, *, actor: Actor, project: Project, state: IssueState,
                          workflow_id: int, status_id: int, at: datetime) -> Issue:
    """Allocates the project's next number as late as possible, to hold its row lock briefly. The
    issue gets its tail rank (tessera.issues.ranks): the bottom of the global order."""
    scalars = state.scalars
    values = dict(
        organization_id=actor.organization_id, project_id=project.id, issue_type_id=scalars["issue_type_id"],
        summary=scalars["summary"], description=scalars.get("description") or "", status_id=status_id,
        priority_id=scalars["priority_id"], workflow_id=workflow_id, assignee_id=scalars.get("assignee_id"),
        reporter_id=scalars.get("reporter_id"), creator_id=actor.user_id, parent_id=scalars.get("parent_id"),
        due_date=scalars.get("due_date"), created_at=at, updated_at=at, version=1,
        original_estimate=scalars.get("original_estimate"), remaining_estimate=scalars.get("remaining_estimate"),
        time_spent=None)
    watchers = sorted({user_id for user_id in (values["reporter_id"], values["assignee_id"]) if user_id})
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        return await _create_in_one_statement(session, connection, actor=actor, project=project, state=state,
                                              values=values, watchers=watchers, at=at)
    number = (await connection.execute(_NEXT_NUMBER, {
        "project": project.id, "org": project.organization_id, "now": at})).scalar_one()
    key = f"{project.key}-{number}"
    issue_id = (await connection.execute(_INSERT_ISSUE, {**values, "number": number, "key": key})).scalar_one()
    await connection.execute(insert(ISSUE_RANKS), {"organization_id": actor.organization_id, "issue_id": issue_id,
                                                   "rank": tail_rank(at, issue_id)})
    issue = _persistent_issue(session, issue_id, number, key, values)
    await write_children(session, issue, state, replace=False)
    await auto_watch(session, issue, watchers, at)
    await emit(session, _created_event(issue, actor, at), organization_id=issue.organization_id,
               aggregate_id=issue.id, actor_id=actor.user_id)
    return issue


async def _create_in_one_statement(session: AsyncSession, connection: AsyncConnection, *, actor: Actor,
                                   project: Project, state: IssueState, values: dict, watchers: list[int],
                                   at: datetime) -> Issue:
    """PostgreSQL: number, issue, labels, watchers and outbox event in one statement (creation_sql)."""
    row = (await connection.execute(CREATE_ISSUE, {
        "org": actor.organization_id, "project": project.id, "actor": actor.user_id, "now": at,
        "key_prefix": f"{project.key}-", "rank_prefix": tail_prefix(at), "labels": list(state.labels or ()),
        "watchers": watchers,
        "timestamp": at.isoformat(), **{name: values[name] for name in (
            "issue_type_id", "summary", "description", "status_id", "priority_id", "workflow_id", "assignee_id",
            "reporter_id", "creator_id", "parent_id", "due_date", "original_estimate", "remaining_estimate")}}
    )).one()
    issue = _persistent_issue(session, row.id, row.number, row.key, values)
    await write_children(session, issue, dataclasses.replace(state, labels=None), replace=False)
    created = _created_event(issue, actor, at)
    remember_emitted(session, created, event_id=row.event_id, organization_id=issue.organization_id,
                     aggregate_id=issue.id, actor_id=actor.user_id, payload=created.payload(), created_at=at)
    return issue


def _persistent_issue(session: AsyncSession, issue_id: int, number: int, key: str, values: dict) -> Issue:
    issue = Issue(id=issue_id, number=number, key=key, resolution_id=None, resolved_at=None, **values)
    make_transient_to_detached(issue)
    session.add(issue)  # persistent without a second INSERT, so later steps may refresh it
    return issue


def _created_event(issue: Issue, actor: Actor, at: datetime) -> IssueCreated:
    return IssueCreated(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id, user_id=actor.user_id,
                        timestamp=at.isoformat())


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
    await authorize(session, actor, Permission.EDIT_ISSUES, project)
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


async def check_delete_issue(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                             delete_subtasks: bool = False) -> list[int]:
    """Returns the ids deleted. Sub-tasks go only when asked, as in Jira; epic children stay."""
    await authorize(session, actor, Permission.DELETE_ISSUES, project)
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
        await emit(session, IssueDeleted(issue_id=issue_id, issue_key=key, project_id=issue.project_id,
                                         user_id=actor.user_id, timestamp=at.isoformat()),
                   organization_id=actor.organization_id, aggregate_id=issue_id, actor_id=actor.user_id)
    await session.execute(delete(Issue).where(Issue.organization_id == actor.organization_id,
                                              Issue.id.in_(deleted)))
    return deleted
