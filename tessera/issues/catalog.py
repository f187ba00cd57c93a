"""Everything an organization's issues refer to by id, loaded together for one request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.projects.catalog import list_issue_types, list_link_types, list_priorities, list_resolutions
from tessera.projects.custom_fields import list_field_definitions, list_options
from tessera.projects.models import (
    CustomFieldDefinition,
    CustomFieldOption,
    IssueType,
    LinkType,
    Priority,
    Resolution,
)
from tessera.workflow.catalog import list_statuses
from tessera.workflow.models import Status


@dataclass(frozen=True)
class OrgCatalog:
    issue_types: Sequence[IssueType]
    priorities: Sequence[Priority]
    resolutions: Sequence[Resolution]
    statuses: Sequence[Status]
    fields: Sequence[CustomFieldDefinition]
    options: dict[int, list[CustomFieldOption]]
    link_types: Sequence[LinkType]

    def issue_type(self, type_id: int) -> IssueType:
        return next(t for t in self.issue_types if t.id == type_id)

    def priority(self, priority_id: int) -> Priority:
        return next(p for p in self.priorities if p.id == priority_id)

    def status(self, status_id: int) -> Status:
        return next(s for s in self.statuses if s.id == status_id)

    def resolution(self, resolution_id: int | None) -> Resolution | None:
        return next((r for r in self.resolutions if r.id == resolution_id), None)

    def field(self, field_id: int) -> CustomFieldDefinition:
        return next(f for f in self.fields if f.id == field_id)

    def option_value(self, option_id: int | None) -> str | None:
        for options in self.options.values():
            for option in options:
                if option.id == option_id:
                    return option.value
        return None

    @property
    def default_priority(self) -> Priority:
        return next((p for p in self.priorities if p.is_default), self.priorities[len(self.priorities) // 2])


async def load_catalog(session: AsyncSession, organization_id: int) -> OrgCatalog:
    fields = await list_field_definitions(session, organization_id)
    return OrgCatalog(
        issue_types=await list_issue_types(session, organization_id),
        priorities=await list_priorities(session, organization_id),
        resolutions=await list_resolutions(session, organization_id),
        statuses=await list_statuses(session, organization_id),
        fields=fields,
        options=await list_options(session, organization_id, [f.id for f in fields]),
        link_types=await list_link_types(session, organization_id),
    )
