"""Reading an issue's editable state and diffing two states into history items."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from sqlalchemy import BigInteger, Date, Float, Select, String, bindparam, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.fields import IssueState
from tessera.issues.history import FieldChange
from tessera.issues.models import (
    CustomFieldValue,
    Issue,
    IssueComponent,
    IssueLabel,
    IssueVersion,
)
from tessera.issues.references import OrgCatalog
from tessera.projects.custom_fields import TypedValue
from tessera.projects.models import Component, Version
from tessera.tenancy.models import IssueSecurityLevel, User

SCALARS = ("summary", "description", "issue_type_id", "priority_id", "assignee_id", "reporter_id", "due_date",
           "parent_id", "original_estimate", "remaining_estimate", "security_level_id")
# Jira's changelog names for our fields.
HISTORY_NAMES = {
    "summary": ("summary", "summary"), "description": ("description", "description"),
    "issue_type_id": ("issuetype", "issuetype"), "priority_id": ("priority", "priority"),
    "assignee_id": ("assignee", "assignee"), "reporter_id": ("reporter", "reporter"),
    "due_date": ("duedate", "duedate"), "parent_id": ("Parent", "parent"),
    "labels": ("labels", "labels"), "components": ("Component", "components"),
    "fix_versions": ("Fix Version", "fixVersions"), "affected_versions": ("Version", "versions"),
    # Time tracking: Jira writes seconds as both the value and the string.
    "original_estimate": ("timeoriginalestimate", "timeoriginalestimate"),
    "remaining_estimate": ("timeestimate", "timeestimate"), "time_spent": ("timespent", "timespent"),
    "security_level_id": ("security", "security"),
}


def parts_of(state: IssueState) -> set[str]:
    """Which multi-valued parts a (partial) state sets: what a diff against it must load."""
    parts = {name for name in ("labels", "components") if getattr(state, name) is not None}
    if state.fix_versions is not None or state.affected_versions is not None:
        parts.add("versions")
    if state.custom:
        parts.add("custom")
    return parts


def _parts_query(wanted: set[str]) -> Select:
    """The wanted parts of one issue in one round trip. Columns: (kind, seq, ref, text, number, day);
    `seq` keeps custom values in stored order (multi-selects)."""
    org, issue_id = bindparam("org"), bindparam("issue")
    none_text, none_number, none_day = cast(null(), String), cast(null(), Float), cast(null(), Date)
    none_id = cast(null(), BigInteger)
    parts = []
    if "labels" in wanted:
        parts.append(select(literal("label"), none_id, none_id, IssueLabel.label, none_number, none_day).where(
            IssueLabel.organization_id == org, IssueLabel.issue_id == issue_id))
    if "components" in wanted:
        parts.append(select(literal("component"), none_id, IssueComponent.component_id, none_text, none_number,
                            none_day).where(IssueComponent.organization_id == org, IssueComponent.issue_id == issue_id))
    if "versions" in wanted:
        parts.append(select(IssueVersion.kind, none_id, IssueVersion.version_id, none_text, none_number,
                            none_day).where(IssueVersion.organization_id == org, IssueVersion.issue_id == issue_id))
    if "custom" in wanted:
        parts.append(select(cast(CustomFieldValue.field_id, String), CustomFieldValue.id, CustomFieldValue.value_ref,
                            CustomFieldValue.value_text, CustomFieldValue.value_number, CustomFieldValue.value_date)
                     .where(CustomFieldValue.organization_id == org, CustomFieldValue.issue_id == issue_id))
    return union_all(*parts) if len(parts) > 1 else parts[0]


_PART_NAMES = ("labels", "components", "versions", "custom")
_PARTS_QUERIES = {frozenset(combo): _parts_query(set(combo))
                  for size in range(1, 5) for combo in combinations(_PART_NAMES, size)}


async def load_state(session: AsyncSession, issue: Issue, parts: set[str] | None = None) -> IssueState:
    """The issue's current state; `parts` limits which multi-valued parts are read (all by default)."""
    wanted = frozenset(parts if parts is not None else _PART_NAMES) & frozenset(_PART_NAMES)
    state = IssueState(scalars={name: getattr(issue, name) for name in SCALARS})
    if not wanted:
        return state
    connection = await session.connection()
    rows = (await connection.execute(_PARTS_QUERIES[wanted],
                                     {"org": issue.organization_id, "issue": issue.id})).all()
    labels: list[str] = []
    components: list[int] = []
    versions: dict[str, list[int]] = {"fix": [], "affected": []}
    custom: list[tuple[int, int, TypedValue]] = []
    for kind, seq, ref, text, number, day in rows:
        if kind == "label":
            labels.append(text)
        elif kind == "component":
            components.append(ref)
        elif kind in versions:
            versions[kind].append(ref)
        else:
            custom.append((seq, int(kind), TypedValue(number=number, text=text, day=day, ref=ref)))
    if "labels" in wanted:
        state.labels = tuple(sorted(labels))
    if "components" in wanted:
        state.components = tuple(sorted(components))
    if "versions" in wanted:
        state.fix_versions = tuple(sorted(versions["fix"]))
        state.affected_versions = tuple(sorted(versions["affected"]))
    for _, field_id, value in sorted(custom, key=lambda entry: entry[0]):
        state.custom.setdefault(field_id, []).append(value)
    return state


class Describer:
    """Turns stored ids into the display strings history keeps, with one query per kind."""

    def __init__(self, catalog: OrgCatalog, known_users: dict[int, str] | None = None) -> None:
        self.catalog = catalog
        self.users: dict[int, str] = dict(known_users or {})
        self.parts: dict[int, str] = {}
        self.issues: dict[int, str] = {}
        self.levels: dict[int, str] = {}

    async def load(self, session: AsyncSession, organization_id: int, states: Sequence[IssueState]) -> None:
        user_ids: set[int] = set()
        part_ids: set[int] = set()
        issue_ids: set[int] = set()
        level_ids = {state.scalars["security_level_id"] for state in states
                     if state.scalars.get("security_level_id")}
        if level_ids:
            rows = await session.execute(select(IssueSecurityLevel.id, IssueSecurityLevel.name).where(
                IssueSecurityLevel.organization_id == organization_id, IssueSecurityLevel.id.in_(level_ids)))
            self.levels.update(dict(rows.all()))
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
        user_ids -= set(self.users)
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
        if name == "security_level_id":
            return self.levels.get(value, str(value))  # type: ignore[call-overload]
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
