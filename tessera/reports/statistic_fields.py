"""Counting issues by a field for the pie chart and two-dimensional statistics gadgets.

A field is a built-in (status, statusCategory, priority, issuetype, resolution, assignee,
reporter, project, labels, component, fixVersion) or a custom select, multi-select, user or
sprint field (by key, name or customfield_<id>). Multi-valued fields count an issue once per
value, as Jira's statistics do; issues without a value count under "None"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tessera.agile.fields import history_field_id
from tessera.agile.models import Sprint
from tessera.errors import InvalidInput
from tessera.issues.models import CustomFieldValue, Issue, IssueComponent, IssueLabel, IssueVersion
from tessera.issues.references import OrgCatalog
from tessera.projects.models import Component, Project, Version
from tessera.reports.selection import Selection
from tessera.reports.timeline import chunks
from tessera.tenancy.models import User
from tessera.workflow.models import CATEGORY_NAMES

BUILT_IN = {
    "status": ("status", "Status"), "statuscategory": ("status_category", "Status category"),
    "status_category": ("status_category", "Status category"), "priority": ("priority", "Priority"),
    "issuetype": ("issue_type", "Issue type"), "issue_type": ("issue_type", "Issue type"),
    "type": ("issue_type", "Issue type"), "resolution": ("resolution", "Resolution"),
    "assignee": ("assignee", "Assignee"), "reporter": ("reporter", "Reporter"), "project": ("project", "Project"),
    "labels": ("labels", "Labels"), "label": ("labels", "Labels"), "component": ("component", "Component"),
    "components": ("component", "Component"), "fixversion": ("fix_version", "Fix version"),
    "fixversions": ("fix_version", "Fix version"), "fix_versions": ("fix_version", "Fix version"),
}
_ISSUE_COLUMNS = {"status": Issue.status_id, "status_category": Issue.status_id, "priority": Issue.priority_id,
                  "issue_type": Issue.issue_type_id, "resolution": Issue.resolution_id,
                  "assignee": Issue.assignee_id, "reporter": Issue.reporter_id, "project": Issue.project_id}
_NONE_LABELS = {"resolution": "Unresolved", "assignee": "Unassigned", "labels": "No labels",
                "component": "No component", "fix_version": "No fix version"}
CUSTOM_KINDS = ("select", "multi_select", "user", "sprint")


@dataclass(frozen=True)
class StatField:
    name: str  # as stored in a gadget's configuration
    label: str
    kind: str  # a BUILT_IN kind, or custom_select / custom_user / custom_sprint
    field_id: int | None = None


def resolve_stat_field(catalog: OrgCatalog, ref: object) -> StatField:
    text = str(ref or "").strip()
    known = BUILT_IN.get(text.lower())
    if known is not None:
        return StatField(known[0], known[1], known[0])
    folded = text.casefold()
    for definition in catalog.fields:
        if folded and folded in (definition.key.casefold(), definition.name.casefold(), history_field_id(definition)):
            if definition.field_type not in CUSTOM_KINDS:
                raise InvalidInput(f"Issues cannot be grouped by the {definition.field_type} field "
                                   f"'{definition.name}'.")
            kind = "custom_select" if definition.field_type in ("select", "multi_select") else \
                f"custom_{definition.field_type}"
            return StatField(definition.key, definition.name, kind, definition.id)
    raise InvalidInput(f"Unknown field '{text[:100]}'; use status, statusCategory, priority, issuetype, resolution, "
                       "assignee, reporter, project, labels, component, fixVersion or a select, user or sprint "
                       "custom field.")


def _value_column(field: StatField, query: Any) -> tuple[Any, Any]:
    """(the query with what the field needs joined, the column holding the field's value)."""
    if field.kind in _ISSUE_COLUMNS:
        return query, _ISSUE_COLUMNS[field.kind]
    if field.kind == "labels":
        table = aliased(IssueLabel)
        return query.outerjoin(table, and_(table.organization_id == Issue.organization_id,
                                           table.issue_id == Issue.id)), table.label
    if field.kind == "component":
        table = aliased(IssueComponent)
        return query.outerjoin(table, and_(table.organization_id == Issue.organization_id,
                                           table.issue_id == Issue.id)), table.component_id
    if field.kind == "fix_version":
        table = aliased(IssueVersion)
        return query.outerjoin(table, and_(table.organization_id == Issue.organization_id,
                                           table.issue_id == Issue.id, table.kind == "fix")), table.version_id
    table = aliased(CustomFieldValue)
    return query.outerjoin(table, and_(table.organization_id == Issue.organization_id, table.issue_id == Issue.id,
                                       table.field_id == field.field_id)), table.value_ref


def _folded(field: StatField, catalog: OrgCatalog, value: Any) -> Any:
    if field.kind == "status_category" and value is not None:
        status = next((s for s in catalog.statuses if s.id == value), None)
        return status.category if status is not None else None
    return value


async def count_by(session: AsyncSession, selection: Selection, fields: Sequence[StatField],
                   catalog: OrgCatalog) -> dict[tuple, int]:
    """{(value per field): issues} over the selection, one GROUP BY query."""
    query: Any = select(Issue.id).select_from(Issue)
    columns = []
    for field in fields:
        query, column = _value_column(field, query)
        columns.append(column)
    grouped = query.with_only_columns(*columns, func.count()).where(*selection.conditions).group_by(*columns)
    counts: dict[tuple, int] = defaultdict(int)
    for row in (await session.execute(grouped)).all():
        key = tuple(_folded(field, catalog, value) for field, value in zip(fields, row[:-1], strict=True))
        counts[key] += row[-1]
    return dict(counts)


async def count_issues(session: AsyncSession, selection: Selection) -> int:
    return await session.scalar(select(func.count()).select_from(Issue).where(*selection.conditions)) or 0


async def value_labels(session: AsyncSession, organization_id: int, catalog: OrgCatalog, field: StatField,
                       values: set[Any]) -> dict[Any, str]:
    """Display names for the values found (ids to names); None reads as the field's "none"."""
    labels: dict[Any, str] = {None: _NONE_LABELS.get(field.kind, "None")}
    wanted = sorted(v for v in values if v is not None)
    kind = field.kind
    if kind == "status_category":
        labels.update({v: CATEGORY_NAMES.get(v, str(v)) for v in wanted})
    elif kind in ("status", "priority", "issue_type", "resolution"):
        entries = {"status": catalog.statuses, "priority": catalog.priorities, "issue_type": catalog.issue_types,
                   "resolution": catalog.resolutions}[kind]
        names = {entry.id: entry.name for entry in entries}
        labels.update({v: names.get(v, str(v)) for v in wanted})
    elif kind == "labels":
        labels.update({v: str(v) for v in wanted})
    elif kind == "custom_select":
        labels.update({v: catalog.option_value(v) or str(v) for v in wanted})
    else:
        model, name = {"assignee": (User, User.display_name), "reporter": (User, User.display_name),
                       "custom_user": (User, User.display_name), "project": (Project, Project.name),
                       "component": (Component, Component.name), "fix_version": (Version, Version.name),
                       "custom_sprint": (Sprint, Sprint.name)}[kind]
        for part in chunks(wanted):
            labels.update(dict((await session.execute(select(model.id, name).where(
                model.organization_id == organization_id, model.id.in_(part)))).all()))
        labels.update({v: str(v) for v in wanted if v not in labels})
    return labels
