"""What a sprint report sums: story points, the issue count, a time tracking estimate, or
another number custom field.

`estimate=story_points` (the default) is the organization's Story Points field (as agile
planning finds it), `issue_count` counts issues, `original_estimate` and `remaining_estimate`
are the issues' time tracking estimates (stored in seconds, reported in hours; logging work
lowers the remaining estimate), and anything else names a number custom field by key, name or
`customfield_<id>`."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.agile.fields import history_field_id
from tessera.errors import InvalidInput
from tessera.issues.references import OrgCatalog
from tessera.projects.models import CustomFieldDefinition

STORY_POINTS = "story_points"
ISSUE_COUNT = "issue_count"
HOUR = 3600.0
# kind: (the issue column, its history field id, the label)
TIME_ESTIMATES = {
    "original_estimate": ("original_estimate", "timeoriginalestimate", "Original estimate (hours)"),
    "remaining_estimate": ("remaining_estimate", "timeestimate", "Remaining estimate (hours)"),
}


@dataclass(frozen=True)
class Estimate:
    kind: str  # story_points | issue_count | original_estimate | remaining_estimate | field
    field: CustomFieldDefinition | None

    @property
    def label(self) -> str:
        if self.kind in TIME_ESTIMATES:
            return TIME_ESTIMATES[self.kind][2]
        return "Issue count" if self.field is None else self.field.name

    @property
    def issue_column(self) -> str | None:
        """The issues column holding the current value of a time estimate (seconds)."""
        return TIME_ESTIMATES[self.kind][0] if self.kind in TIME_ESTIMATES else None

    @property
    def history_field_id(self) -> str | None:
        if self.kind in TIME_ESTIMATES:
            return TIME_ESTIMATES[self.kind][1]
        return history_field_id(self.field) if self.field is not None else None

    @property
    def stored_per_unit(self) -> float:
        """Stored amount per reported unit: seconds per hour for time, else 1."""
        return HOUR if self.kind in TIME_ESTIMATES else 1.0

    def view(self) -> dict:
        return {"kind": self.kind, "label": self.label, "unit": "hours" if self.kind in TIME_ESTIMATES else None,
                "field": {"id": history_field_id(self.field), "key": self.field.key, "name": self.field.name}
                if self.field is not None else None}


def _story_points(catalog: OrgCatalog) -> CustomFieldDefinition | None:
    numbers = [f for f in catalog.fields if f.field_type == "number"]
    return next((f for f in numbers if f.key == STORY_POINTS), None) or \
        next((f for f in numbers if f.name.casefold() == "story points"), None)


def resolve_estimate(catalog: OrgCatalog, ref: str | None) -> Estimate:
    wanted = (ref or STORY_POINTS).strip()
    if wanted.lower() == ISSUE_COUNT:
        return Estimate(ISSUE_COUNT, None)
    if wanted.lower() in TIME_ESTIMATES:
        return Estimate(wanted.lower(), None)
    if wanted.lower() == STORY_POINTS:
        found = _story_points(catalog)
        if found is None:
            raise InvalidInput("This organization has no Story Points field; use estimate=issue_count or a number "
                               "field's key.", field="estimate")
        return Estimate(STORY_POINTS, found)
    folded = wanted.casefold()
    for definition in catalog.fields:
        if folded in (definition.key.casefold(), definition.name.casefold(), history_field_id(definition)):
            if definition.field_type != "number":
                raise InvalidInput(f"The field '{wanted[:100]}' is not a number field.", field="estimate")
            return Estimate("field", definition)
    raise InvalidInput(f"The estimate '{wanted[:100]}' is not story_points, issue_count, original_estimate, "
                       "remaining_estimate or a number field.", field="estimate")
