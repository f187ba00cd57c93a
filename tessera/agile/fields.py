"""The two custom fields agile planning reads: the issue's sprint and its estimate (story points)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.issues.models import CustomFieldValue
from tessera.issues.references import OrgCatalog
from tessera.projects.models import CustomFieldDefinition


def history_field_id(definition: CustomFieldDefinition) -> str:
    """The `field_id` of a custom field's change items (as issues' history writes them)."""
    return f"customfield_{10_000 + definition.id}"


@dataclass(frozen=True)
class AgileFields:
    sprint: CustomFieldDefinition
    estimate: CustomFieldDefinition | None

    @property
    def sprint_ref(self) -> str:
        """How an issue update names the sprint field (stable across renames)."""
        return history_field_id(self.sprint)


def agile_fields(catalog: OrgCatalog) -> AgileFields:
    """The organization's Sprint field and its Story Points field (by key, else by name)."""
    sprint = catalog.sprint_field
    if sprint is None:
        raise InvalidInput("This organization has no Sprint field.", code="no_sprint_field")
    estimate = next((f for f in catalog.fields if f.field_type == "number" and f.key == "story_points"), None) or \
        next((f for f in catalog.fields if f.field_type == "number" and f.name.casefold() == "story points"), None)
    return AgileFields(sprint=sprint, estimate=estimate)


async def sprint_members(session: AsyncSession, organization_id: int, fields: AgileFields,
                         sprint_ids: list[int]) -> dict[int, int]:
    """{issue id: sprint id} for the issues in any of `sprint_ids` now."""
    if not sprint_ids:
        return {}
    return await _issue_sprints(session, organization_id, fields, CustomFieldValue.value_ref.in_(sprint_ids))


async def sprints_of(session: AsyncSession, organization_id: int, fields: AgileFields,
                     issue_ids: list[int]) -> dict[int, int]:
    """{issue id: sprint id} for those of `issue_ids` that are in a sprint."""
    if not issue_ids:
        return {}
    return await _issue_sprints(session, organization_id, fields, CustomFieldValue.issue_id.in_(issue_ids))


async def _issue_sprints(session: AsyncSession, organization_id: int, fields: AgileFields,
                         condition: ColumnElement[bool]) -> dict[int, int]:
    rows = await session.execute(select(CustomFieldValue.issue_id, CustomFieldValue.value_ref).where(
        CustomFieldValue.organization_id == organization_id, CustomFieldValue.field_id == fields.sprint.id,
        condition))
    return {issue_id: sprint_id for issue_id, sprint_id in rows.all() if sprint_id is not None}


async def estimates_of(session: AsyncSession, organization_id: int, fields: AgileFields,
                       issue_ids: list[int]) -> dict[int, float]:
    if fields.estimate is None or not issue_ids:
        return {}
    rows = await session.execute(select(CustomFieldValue.issue_id, CustomFieldValue.value_number).where(
        CustomFieldValue.organization_id == organization_id, CustomFieldValue.field_id == fields.estimate.id,
        CustomFieldValue.issue_id.in_(issue_ids)))
    return {issue_id: value for issue_id, value in rows.all() if value is not None}
