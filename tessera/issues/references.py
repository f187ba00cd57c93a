"""Everything an organization's issues refer to by id, loaded together for one request."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import Conflict
from tessera.projects.catalog import (
    list_issue_types,
    list_link_types,
    list_priorities,
    list_resolutions,
)
from tessera.projects.custom_fields import list_field_definitions, list_options
from tessera.projects.models import (
    CustomFieldDefinition,
    CustomFieldOption,
    IssueType,
    LinkType,
    Priority,
    Resolution,
)
from tessera.tenancy.actor import Actor
from tessera.workflow.lookup import list_statuses, list_workflows
from tessera.workflow.models import Status, Workflow, WorkflowScheme
from tessera.workflow.service import list_schemes

E = TypeVar("E", bound=IssueType | Priority | Status | CustomFieldDefinition | Workflow)


def _one(entries: Sequence[E], entry_id: int, what: str) -> E:
    for entry in entries:
        if entry.id == entry_id:
            return entry
    # Only possible when the catalog changed while this request ran (a new workflow, status...).
    raise Conflict(f"The organization's {what}s changed during this request; try again.", code="catalog_changed")


@dataclass(frozen=True)
class OrgCatalog:
    issue_types: Sequence[IssueType]
    priorities: Sequence[Priority]
    resolutions: Sequence[Resolution]
    statuses: Sequence[Status]
    fields: Sequence[CustomFieldDefinition]
    options: dict[int, list[CustomFieldOption]]
    link_types: Sequence[LinkType]
    workflows: Sequence[Workflow]
    schemes: Sequence[WorkflowScheme]

    def issue_type(self, type_id: int) -> IssueType:
        return _one(self.issue_types, type_id, "issue type")

    def priority(self, priority_id: int) -> Priority:
        return _one(self.priorities, priority_id, "priority")

    def status(self, status_id: int) -> Status:
        return _one(self.statuses, status_id, "status")

    def resolution(self, resolution_id: int | None) -> Resolution | None:
        return next((r for r in self.resolutions if r.id == resolution_id), None)

    def field(self, field_id: int) -> CustomFieldDefinition:
        return _one(self.fields, field_id, "custom field")

    def option_value(self, option_id: int | None) -> str | None:
        for options in self.options.values():
            for option in options:
                if option.id == option_id:
                    return option.value
        return None

    def workflow(self, workflow_id: int) -> Workflow:
        return _one(self.workflows, workflow_id, "workflow")

    @property
    def sprint_field(self) -> CustomFieldDefinition | None:
        """The field that holds an issue's sprint (agile planning writes it, JQL's `sprint`
        reads it and its history): the sprint field keyed `sprint`, else the first sprint field."""
        return next((f for f in self.fields if f.field_type == "sprint" and f.key == "sprint"), None) or \
            next((f for f in self.fields if f.field_type == "sprint"), None)

    @property
    def default_priority(self) -> Priority:
        return next((p for p in self.priorities if p.is_default), self.priorities[len(self.priorities) // 2])


_CACHE: OrderedDict[tuple[str, int, int], OrgCatalog] = OrderedDict()
_CACHE_SIZE = 2048


async def catalog_for(session: AsyncSession, actor: Actor) -> OrgCatalog:
    """The actor's organization catalog, from the process cache when the organization's
    catalog_version (read at authentication) says it is current. Whatever changes a catalog
    (types, priorities, statuses, fields, workflows) must call do_bump_catalog_version."""
    if actor.catalog_version is None:
        return await load_catalog(session, actor.organization_id)
    # Keyed by database too: organization ids and versions repeat across databases, and one
    # process may serve apps on several (the test suite runs SQLite and PostgreSQL side by side).
    key = (str(session.bind.url), actor.organization_id, actor.catalog_version)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    catalog = await load_catalog(session, actor.organization_id)
    _CACHE[key] = catalog
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return catalog


T = TypeVar("T")


def _copy(entry: T) -> T:
    """A transient copy: cached catalogs are shared across requests, so they must not be the
    session's own objects (which a rollback expires and which callers may go on changing)."""
    clone = type(entry)()
    for attribute in inspect(entry).mapper.column_attrs:
        setattr(clone, attribute.key, getattr(entry, attribute.key))
    return clone


def _copies(entries: Sequence[T]) -> list[T]:
    return [_copy(entry) for entry in entries]


async def load_catalog(session: AsyncSession, organization_id: int) -> OrgCatalog:
    fields = await list_field_definitions(session, organization_id)
    options = await list_options(session, organization_id, [f.id for f in fields])
    catalog = OrgCatalog(
        issue_types=_copies(await list_issue_types(session, organization_id)),
        priorities=_copies(await list_priorities(session, organization_id)),
        resolutions=_copies(await list_resolutions(session, organization_id)),
        statuses=_copies(await list_statuses(session, organization_id)),
        fields=_copies(fields),
        options={field_id: _copies(entries) for field_id, entries in options.items()},
        link_types=_copies(await list_link_types(session, organization_id)),
        workflows=_copies(await list_workflows(session, organization_id)),
        schemes=_copies(await list_schemes(session, organization_id)),
    )
    return catalog
