"""Resolving a client's field values into the ids and typed values stored on an issue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id, parse_issue_key
from tessera.errors import InvalidInput
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog
from tessera.projects.custom_fields import TypedValue, coerce_value, find_definition
from tessera.projects.models import Component, IssueType, Project, Version
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import CUSTOMER_ROLE, User
from tessera.tenancy.permissions import Permission, has_permission

ISSUE_KEY_SHAPE = "PROJ-123"


@dataclass
class IssueState:
    """The comparable state of an issue's editable fields; the unit history is computed over."""

    scalars: dict[str, object] = field(default_factory=dict)
    labels: tuple[str, ...] | None = None
    components: tuple[int, ...] | None = None
    fix_versions: tuple[int, ...] | None = None
    affected_versions: tuple[int, ...] | None = None
    custom: dict[int, list[TypedValue]] = field(default_factory=dict)
    # Names of the components and versions above, as resolved (lets a new issue render without reading them back).
    component_rows: dict[int, Row] = field(default_factory=dict, compare=False)
    version_rows: dict[int, Row] = field(default_factory=dict, compare=False)


def normalize_labels(labels: Iterable[str]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for label in labels:
        label = label.strip()
        if not label or any(ch.isspace() for ch in label):
            raise InvalidInput(f"Label '{label[:100]}' must not be empty or contain spaces.", field="labels")
        if label not in cleaned:
            cleaned.append(label)
    return tuple(sorted(cleaned))


async def resolve_user(session: AsyncSession, organization_id: int, ref: object, *, field_name: str) -> int | None:
    """An active user of the organization; for the assignee, not a customer (who cannot sign in
    to work on it; a customer may be a reporter)."""
    if ref is None:
        return None
    user_id = parse_id(ref.get("id") if isinstance(ref, dict) else ref)
    row = None if user_id is None else (await session.execute(select(User.active, User.role).where(
        User.organization_id == organization_id, User.id == user_id))).first()
    if row is None or not row.active:
        raise InvalidInput(f"The user '{str(ref)[:100]}' does not exist or is inactive.", field=field_name)
    if field_name == "assignee_id" and row.role == CUSTOMER_ROLE:
        raise InvalidInput(f"The user '{str(ref)[:100]}' is a customer and cannot be assigned.", field=field_name)
    return user_id


async def resolve_parts(session: AsyncSession, model: type[Component] | type[Version], project: Project,
                        refs: Sequence[object], *, field_name: str, found_rows: dict[int, Row] | None = None
                        ) -> tuple[int, ...]:
    """Component or version ids of this project, from ids or names; their rows (id, name[,
    released]) go into `found_rows` when given."""
    if not refs:
        return ()
    columns = [model.id, model.name, *([Version.released] if model is Version else [])]
    rows = (await session.execute(select(*columns).where(
        model.organization_id == project.organization_id, model.project_id == project.id))).all()
    found: list[int] = []
    for ref in refs:
        wanted_id = parse_id(ref.get("id") if isinstance(ref, dict) else ref)
        wanted_name = (ref.get("name") if isinstance(ref, dict) else ref)
        match = next((row.id for row in rows if row.id == wanted_id or
                      (isinstance(wanted_name, str) and row.name.casefold() == wanted_name.strip().casefold())), None)
        if match is None:
            raise InvalidInput(f"'{str(ref)[:100]}' is not a {model.__name__.lower()} of project {project.key}.",
                               field=field_name)
        if match not in found:
            found.append(match)
    if found_rows is not None:
        found_rows.update((row.id, row) for row in rows if row.id in found)
    return tuple(sorted(found))


async def find_issue(session: AsyncSession, organization_id: int, ref: object) -> Issue | None:
    """By id, prefixed id or key ("PROJ-12", any case)."""
    issue_id = parse_id(ref)
    if issue_id is not None:
        return await session.scalar(select(Issue).where(Issue.organization_id == organization_id,
                                                        Issue.id == issue_id))
    key = parse_issue_key(ref)
    if key is not None:
        return await session.scalar(select(Issue).where(Issue.organization_id == organization_id, Issue.key == key))
    return None


async def _may_see(session: AsyncSession, actor: Actor, project: Project, issue: Issue) -> bool:
    """Whether the actor may browse `issue` (in `project` or another of the organization's projects)."""
    if issue.project_id != project.id:
        project = await session.scalar(select(Project).where(Project.organization_id == issue.organization_id,
                                                             Project.id == issue.project_id))
        if project is None:
            return False
    return await has_permission(session, actor, Permission.BROWSE_PROJECTS, project, issue)


async def resolve_parent(session: AsyncSession, project: Project, issue_type: IssueType, ref: object,
                         catalog: OrgCatalog, *, actor: Actor, issue_id: int | None = None,
                         current_id: int | None = None) -> int | None:
    """Sub-tasks need a standard parent in the same project; standard issues may have an epic parent.
    A new parent the actor may not see (its project or its security level) answers as a missing one,
    so that choosing a parent is no oracle; the issue's current parent (`current_id`) is kept as it is."""
    if ref is None:
        if issue_type.hierarchy_level < 0:
            raise InvalidInput("A sub-task needs a parent issue.", field="parent_id")
        return None
    if issue_type.hierarchy_level >= 1:
        raise InvalidInput("An epic cannot have a parent.", field="parent_id")
    parent = await find_issue(session, project.organization_id, ref)
    if parent is not None and parent.id != current_id and not await _may_see(session, actor, project, parent):
        parent = None
    if parent is None:
        raise InvalidInput(f"The parent issue '{str(ref)[:100]}' does not exist.", field="parent_id")
    if parent.id == issue_id:
        raise InvalidInput("An issue cannot be its own parent.", field="parent_id")
    parent_level = catalog.issue_type(parent.issue_type_id).hierarchy_level
    if issue_type.hierarchy_level < 0:
        if parent_level != 0 or parent.project_id != project.id:
            raise InvalidInput("A sub-task's parent must be a standard issue of the same project.", field="parent_id")
    elif parent_level != 1:
        raise InvalidInput("A standard issue's parent must be an epic.", field="parent_id")
    return parent.id


async def resolve_custom_fields(session: AsyncSession, project: Project, issue_type: IssueType,
                                values: dict[str, object], catalog: OrgCatalog) -> dict[int, list[TypedValue]]:
    resolved: dict[int, list[TypedValue]] = {}
    for ref, value in values.items():
        where = f"custom_fields.{ref}"
        definition = find_definition(catalog.fields, ref)
        if definition is None:
            raise InvalidInput(f"The custom field '{ref[:100]}' does not exist.", field=where)
        if definition.project_ids and project.id not in definition.project_ids:
            raise InvalidInput(f"{definition.name} is not used in project {project.key}.", field=where)
        if definition.issue_type_ids and issue_type.id not in definition.issue_type_ids:
            raise InvalidInput(f"{definition.name} is not used for {issue_type.name} issues.", field=where)
        resolved[definition.id] = await coerce_value(
            session, organization_id=project.organization_id, definition=definition,
            options=catalog.options.get(definition.id, []), value=value, where=where)
    return resolved


def validate_due_date(value: date | None) -> date | None:
    if value is not None and not (date(1900, 1, 1) <= value <= date(2999, 12, 31)):
        raise InvalidInput("due_date must be between 1900 and 2999.", field="due_date")
    return value
