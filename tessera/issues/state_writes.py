"""From a client's input to stored state: resolving the fields it sent (validating each) into an
IssueState, and writing that state's child rows (labels, components, versions, custom field
values). Shared by create, update and transitions."""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.issues.audience import check_assignable
from tessera.issues.fields import (
    IssueState,
    normalize_labels,
    resolve_custom_fields,
    resolve_parent,
    resolve_parts,
    resolve_user,
    validate_due_date,
)
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.models import CustomFieldValue, Issue, IssueComponent, IssueLabel, IssueVersion
from tessera.issues.references import OrgCatalog
from tessera.issues.security import default_level_id, resolve_security_level
from tessera.issues.time_tracking import resolve_estimates
from tessera.projects.catalog import resolve_named
from tessera.projects.custom_fields import TypedValue
from tessera.projects.models import Component, Project, Version
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

_LABELS = IssueLabel.__table__
_COMPONENTS = IssueComponent.__table__
_VERSIONS = IssueVersion.__table__
_VALUES = CustomFieldValue.__table__


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
        await authorize(session, actor, Permission.ASSIGN_ISSUES, project, issue)
        await check_assignable(session, project, state.scalars["assignee_id"])
    if "due_date" in present:
        state.scalars["due_date"] = validate_due_date(data.due_date)
    if "parent_id" in present or ("issue_type_id" in state.scalars and issue is not None) or issue is None:
        parent_ref = data.parent_id if "parent_id" in present else (
            issue.parent_id if issue is not None else None)
        state.scalars["parent_id"] = await resolve_parent(
            session, project, issue_type, parent_ref, catalog, actor=actor, issue_id=issue.id if issue else None,
            current_id=issue.parent_id if issue else None)
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
    if "security_level" in present:
        state.scalars["security_level_id"] = await resolve_security_level(
            session, actor=actor, project=project, ref=data.security_level, issue=issue,
            reporter_id=state.scalars.get("reporter_id"), assignee_id=state.scalars.get("assignee_id"))
    elif issue is None:
        state.scalars["security_level_id"] = await default_level_id(session, org, project)
    return state


async def write_children(session: AsyncSession, issue: Issue, state: IssueState, *, replace: bool) -> None:
    # Core statements on the session's connection: the ORM's bulk machinery costs more than the writes.
    connection = await session.connection()
    org, issue_id = issue.organization_id, issue.id
    for table, column, values in ((_LABELS, "label", state.labels), (_COMPONENTS, "component_id", state.components)):
        if values is None:
            continue
        if replace:
            await connection.execute(delete(table).where(table.c.organization_id == org, table.c.issue_id == issue_id))
        if values:
            await connection.execute(insert(table), [
                {"organization_id": org, "issue_id": issue_id, column: value} for value in values])
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
