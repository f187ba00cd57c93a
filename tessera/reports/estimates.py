"""What a sprint report sums: story points, the issue count, or another number custom field.

`estimate=story_points` (the default) is the organization's Story Points field (as agile
planning finds it), `issue_count` counts issues, and anything else names a number custom field
by key, name or `customfield_<id>`. There is no original-estimate (time tracking) field in
Tessera, so time estimates are a number field a team adds, e.g. "Estimate (hours)"."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.agile.fields import history_field_id
from tessera.errors import InvalidInput
from tessera.issues.catalog import OrgCatalog
from tessera.projects.models import CustomFieldDefinition

STORY_POINTS = "story_points"
ISSUE_COUNT = "issue_count"


@dataclass(frozen=True)
class Estimate:
    kind: str  # story_points | issue_count | field
    field: CustomFieldDefinition | None

    @property
    def label(self) -> str:
        return "Issue count" if self.field is None else self.field.name

    @property
    def history_field_id(self) -> str | None:
        return history_field_id(self.field) if self.field is not None else None

    def view(self) -> dict:
        return {"kind": self.kind, "label": self.label,
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
    raise InvalidInput(f"The estimate '{wanted[:100]}' is not story_points, issue_count or a number field.",
                       field="estimate")
