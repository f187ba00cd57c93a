"""Reading an issue's editable state and diffing two states into history items."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.catalog import OrgCatalog
from tessera.issues.fields import IssueState
from tessera.issues.history import FieldChange
from tessera.issues.models import (
    CustomFieldValue,
    Issue,
    IssueComponent,
    IssueLabel,
    IssueVersion,
)
from tessera.projects.custom_fields import TypedValue
from tessera.projects.models import Component, Version
from tessera.tenancy.models import User

SCALARS = ("summary", "description", "issue_type_id", "priority_id", "assignee_id", "reporter_id", "due_date",
           "parent_id")
# Jira's changelog names for our fields.
HISTORY_NAMES = {
    "summary": ("summary", "summary"), "description": ("description", "description"),
    "issue_type_id": ("issuetype", "issuetype"), "priority_id": ("priority", "priority"),
    "assignee_id": ("assignee", "assignee"), "reporter_id": ("reporter", "reporter"),
    "due_date": ("duedate", "duedate"), "parent_id": ("Parent", "parent"),
    "labels": ("labels", "labels"), "components": ("Component", "components"),
    "fix_versions": ("Fix Version", "fixVersions"), "affected_versions": ("Version", "versions"),
}


def parts_of(state: IssueState) -> set[str]:
    """Which multi-valued parts a (partial) state sets: what a diff against it must load."""
    parts = {name for name in ("labels", "components") if getattr(state, name) is not None}
    if state.fix_versions is not None or state.affected_versions is not None:
        parts.add("versions")
    if state.custom:
        parts.add("custom")
    return parts


async def load_state(session: AsyncSession, issue: Issue, parts: set[str] | None = None) -> IssueState:
    """The issue's current state; `parts` limits which multi-valued parts are read (all by default)."""
    org = issue.organization_id
    wanted = parts if parts is not None else {"labels", "components", "versions", "custom"}
    state = IssueState(scalars={name: getattr(issue, name) for name in SCALARS})
    if "labels" in wanted:
        state.labels = tuple(sorted((await session.scalars(select(IssueLabel.label).where(
            IssueLabel.organization_id == org, IssueLabel.issue_id == issue.id))).all()))
    if "components" in wanted:
        state.components = tuple(sorted((await session.scalars(select(IssueComponent.component_id).where(
            IssueComponent.organization_id == org, IssueComponent.issue_id == issue.id))).all()))
    if "versions" in wanted:
        versions = (await session.execute(select(IssueVersion.version_id, IssueVersion.kind).where(
            IssueVersion.organization_id == org, IssueVersion.issue_id == issue.id))).all()
        state.fix_versions = tuple(sorted(v for v, kind in versions if kind == "fix"))
        state.affected_versions = tuple(sorted(v for v, kind in versions if kind == "affected"))
    if "custom" in wanted:
        values = (await session.scalars(select(CustomFieldValue).where(
            CustomFieldValue.organization_id == org, CustomFieldValue.issue_id == issue.id)
            .order_by(CustomFieldValue.id))).all()
        for value in values:
            state.custom.setdefault(value.field_id, []).append(TypedValue(
                number=value.value_number, text=value.value_text, day=value.value_date, ref=value.value_ref))
    return state


class Describer:
    """Turns stored ids into the display strings history keeps, with one query per kind."""

    def __init__(self, catalog: OrgCatalog) -> None:
        self.catalog = catalog
        self.users: dict[int, str] = {}
        self.parts: dict[int, str] = {}
        self.issues: dict[int, str] = {}

    async def load(self, session: AsyncSession, organization_id: int, states: Sequence[IssueState]) -> None:
        user_ids: set[int] = set()
        part_ids: set[int] = set()
        issue_ids: set[int] = set()
        for state in states:
            for key in ("assignee_id", "reporter_id"):
                if state.scalars.get(key):
                    user_ids.add(state.scalars[key])  # type: ignore[arg-type]
            if state.scalars.get("parent_id"):
                issue_ids.add(state.scalars["parent_id"])  # type: ignore[arg-type]
            for seq in (state.components, state.fix_versions, state.affected_versions):
                part_ids.update(seq or ())
            for field_id, values in state.custom.items():
                if self.catalog.field(field_id).field_type == "user":
                    user_ids.update(v.ref for v in values if v.ref)
        if user_ids:
            rows = await session.execute(select(User.id, User.display_name).where(
                User.organization_id == organization_id, User.id.in_(user_ids)))
            self.users.update(dict(rows.all()))
        if part_ids:
            for model in (Component, Version):
                rows = await session.execute(select(model.id, model.name).where(
                    model.organization_id == organization_id, model.id.in_(part_ids)))
                self.parts.update(dict(rows.all()))
        if issue_ids:
            rows = await session.execute(select(Issue.id, Issue.key).where(
                Issue.organization_id == organization_id, Issue.id.in_(issue_ids)))
            self.issues.update(dict(rows.all()))

    def scalar(self, name: str, value: object) -> str | None:
        if value is None:
            return None
        if name == "issue_type_id":
            return self.catalog.issue_type(value).name  # type: ignore[arg-type]
        if name == "priority_id":
            return self.catalog.priority(value).name  # type: ignore[arg-type]
        if name in ("assignee_id", "reporter_id"):
            return self.users.get(value, str(value))  # type: ignore[call-overload]
        if name == "parent_id":
            return self.issues.get(value, str(value))  # type: ignore[call-overload]
        return str(value)

    def custom(self, field_id: int, values: list[TypedValue]) -> str | None:
        if not values:
            return None
        kind = self.catalog.field(field_id).field_type
        shown = []
        for value in values:
            if kind in ("select", "multi_select"):
                shown.append(self.catalog.option_value(value.ref) or str(value.ref))
            elif kind == "user":
                shown.append(self.users.get(value.ref or 0, str(value.ref)))
            elif kind == "number" and value.number is not None:
                shown.append(f"{value.number:g}")
            else:
                shown.append(value.display or value.raw)
        return ", ".join(shown)


def _raw(value: object) -> str | None:
    return None if value is None else str(value)


def diff_states(old: IssueState, new: IssueState, describer: Describer) -> list[FieldChange]:
    """Items for every field whose value in `new` (fields set there) differs from `old`."""
    changes: list[FieldChange] = []
    for name, value in new.scalars.items():
        before = old.scalars.get(name)
        if before != value:
            label, field_id = HISTORY_NAMES[name]
            changes.append(FieldChange(label, field_id, _raw(before), describer.scalar(name, before),
                                       _raw(value), describer.scalar(name, value)))
    for name in ("labels", "components", "fix_versions", "affected_versions"):
        after = getattr(new, name)
        before = getattr(old, name)
        if after is None or tuple(after) == tuple(before or ()):
            continue
        label, field_id = HISTORY_NAMES[name]
        if name == "labels":
            changes.append(FieldChange(label, field_id, None, " ".join(before or ()) or None,
                                       None, " ".join(after) or None))
        else:
            # Jira writes one item per component/version added or removed.
            for part_id in sorted(set(before or ()) - set(after)):
                changes.append(FieldChange(label, field_id, str(part_id), describer.parts.get(part_id), None, None))
            for part_id in sorted(set(after) - set(before or ())):
                changes.append(FieldChange(label, field_id, None, None, str(part_id), describer.parts.get(part_id)))
    for field_id, values in new.custom.items():
        before_values = old.custom.get(field_id, [])
        if [v.raw for v in before_values] != [v.raw for v in values]:
            definition = describer.catalog.field(field_id)
            changes.append(FieldChange(
                definition.name, f"customfield_{10_000 + field_id}",
                ",".join(v.raw for v in before_values) or None, describer.custom(field_id, before_values),
                ",".join(v.raw for v in values) or None, describer.custom(field_id, values), field_type="custom"))
    return changes
