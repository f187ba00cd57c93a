"""Custom field definitions, their options, and turning a client's value into a typed value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.models import Sprint
from tessera.audit.chain import record
from tessera.db.refs import parse_decimal, parse_id, parse_int
from tessera.db.scoped import load_scoped
from tessera.errors import Conflict, InvalidInput
from tessera.projects.models import CUSTOM_FIELD_TYPES, CustomFieldDefinition, CustomFieldOption, IssueType, Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.service import do_bump_catalog_version

FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TEXT_MAX = 32_767
DEFAULT_FIELDS = (
    ("story_points", "Story Points", "number", "Estimate of the work in story points."),
    ("sprint", "Sprint", "sprint", "The sprint the issue is planned in."),
)


@dataclass(frozen=True)
class TypedValue:
    """One stored value: exactly one of the typed slots is set; `display` is for history."""

    number: float | None = None
    text: str | None = None
    day: date | None = None
    ref: int | None = None
    display: str = ""

    @property
    def raw(self) -> str:
        for value in (self.number, self.text, self.day, self.ref):
            if value is not None:
                return str(value)
        return ""


async def do_create_default_fields(session: AsyncSession, *, organization_id: int) -> None:
    for key, name, field_type, description in DEFAULT_FIELDS:
        session.add(CustomFieldDefinition(organization_id=organization_id, key=key, name=name,
                                          field_type=field_type, description=description,
                                          project_ids=[], issue_type_ids=[]))
    await session.flush()


async def list_field_definitions(session: AsyncSession, organization_id: int) -> Sequence[CustomFieldDefinition]:
    return (await session.scalars(select(CustomFieldDefinition).where(
        CustomFieldDefinition.organization_id == organization_id).order_by(CustomFieldDefinition.id))).all()


async def list_options(session: AsyncSession, organization_id: int, field_ids: Sequence[int]
                       ) -> dict[int, list[CustomFieldOption]]:
    if not field_ids:
        return {}
    rows = await session.scalars(select(CustomFieldOption).where(
        CustomFieldOption.organization_id == organization_id, CustomFieldOption.field_id.in_(list(field_ids)))
        .order_by(CustomFieldOption.position, CustomFieldOption.id))
    options: dict[int, list[CustomFieldOption]] = {}
    for option in rows:
        options.setdefault(option.field_id, []).append(option)
    return options


def find_definition(definitions: Sequence[CustomFieldDefinition], ref: str) -> CustomFieldDefinition | None:
    """By key ("story_points"), name ("Story Points"), id, or Jira's "customfield_10001"."""
    text = ref.strip()
    # Ids as sent (" 5" is not field 5); names and keys forgive surrounding spaces.
    jira_id = parse_int(ref.removeprefix("customfield_")) if ref.startswith("customfield_") else None
    wanted_id = jira_id - 10_000 if jira_id is not None else parse_int(ref, minimum=1)
    folded = text.casefold()
    for definition in definitions:
        if definition.key == text or definition.name.casefold() == folded or definition.id == wanted_id:
            return definition
    return None


async def access_field_definition(session: AsyncSession, actor: Actor, field_id: int) -> CustomFieldDefinition:
    return await load_scoped(session, CustomFieldDefinition, organization_id=actor.organization_id, row_id=field_id,
                             missing="Custom field not found.")


async def _check_scope_ids(session: AsyncSession, organization_id: int, model: type[Project] | type[IssueType],
                           ids: Sequence[int], *, field: str, what: str) -> None:
    """A field's scope names the organization's own projects and issue types, never another's."""
    wanted = [number for number in map(parse_id, ids) if number is not None]
    known = set((await session.scalars(select(model.id).where(
        model.organization_id == organization_id, model.id.in_(wanted)))).all()) if wanted else set()
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidInput(f"The {what} '{unknown[0]}' does not exist.", field=field)


async def check_create_field(session: AsyncSession, *, actor: Actor, key: str | None, name: str, field_type: str,
                             description: str = "", options: Sequence[str] = (),
                             project_ids: Sequence[int] = (), issue_type_ids: Sequence[int] = ()
                             ) -> CustomFieldDefinition:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidInput("A custom field needs a name of at most 255 characters.", field="name")
    key = (key or re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "field")[:64]
    if not FIELD_KEY.match(key):
        raise InvalidInput("A field key is lower-case letters, digits and underscores.", field="key")
    if field_type not in CUSTOM_FIELD_TYPES:
        raise InvalidInput(f"Field types are {', '.join(CUSTOM_FIELD_TYPES)}.", field="field_type")
    await _check_scope_ids(session, actor.organization_id, Project, project_ids, field="project_ids", what="project")
    await _check_scope_ids(session, actor.organization_id, IssueType, issue_type_ids, field="issue_type_ids",
                           what="issue type")
    existing = await list_field_definitions(session, actor.organization_id)
    for definition in existing:
        if definition.key == key or definition.name.casefold() == name.casefold():
            raise Conflict(f"A custom field named '{name}' or keyed '{key}' exists.", code="duplicate_name",
                           field="name")
    if field_type in {"select", "multi_select"} and not options:
        raise InvalidInput("A select field needs at least one option.", field="options")
    cleaned = [str(option).strip() for option in options]
    if any(not option or len(option) > 255 for option in cleaned) or len(set(cleaned)) != len(cleaned):
        raise InvalidInput("Options must be distinct, non-empty and at most 255 characters.", field="options")
    definition = CustomFieldDefinition(organization_id=actor.organization_id, key=key, name=name,
                                       field_type=field_type, description=description,
                                       project_ids=list(project_ids), issue_type_ids=list(issue_type_ids))
    session.add(definition)
    await session.flush()
    for position, option in enumerate(cleaned):
        session.add(CustomFieldOption(organization_id=actor.organization_id, field_id=definition.id,
                                      value=option, position=position))
    await session.flush()
    record(session, organization_id=actor.organization_id, action="custom_field.created", object_type="custom_field",
           object_id=definition.id, object_key=key, changes={"name": name, "field_type": field_type,
                                                            "options": cleaned, "project_ids": list(project_ids),
                                                            "issue_type_ids": list(issue_type_ids)})
    await do_bump_catalog_version(session, actor.organization_id)
    return definition


async def check_update_field(session: AsyncSession, *, actor: Actor, definition: CustomFieldDefinition, name: str,
                             description: str, project_ids: Sequence[int], issue_type_ids: Sequence[int]
                             ) -> CustomFieldDefinition:
    """Its name, description and context (the projects and issue types it applies to; none
    named is all of them). The key and type stay: stored values and JQL name them."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidInput("A custom field needs a name of at most 255 characters.", field="name")
    if len(description) > 10_000:
        raise InvalidInput("A description is at most 10000 characters.", field="description")
    await _check_scope_ids(session, actor.organization_id, Project, project_ids, field="project_ids", what="project")
    await _check_scope_ids(session, actor.organization_id, IssueType, issue_type_ids, field="issue_type_ids",
                           what="issue type")
    for other in await list_field_definitions(session, actor.organization_id):
        if other.id != definition.id and other.name.casefold() == name.casefold():
            raise Conflict(f"A custom field named '{name}' exists.", code="duplicate_name", field="name")
    before = {"name": definition.name, "description": definition.description,
              "project_ids": list(definition.project_ids), "issue_type_ids": list(definition.issue_type_ids)}
    after = {"name": name, "description": description, "project_ids": list(project_ids),
             "issue_type_ids": list(issue_type_ids)}
    definition.name, definition.description = name, description
    definition.project_ids, definition.issue_type_ids = list(project_ids), list(issue_type_ids)
    await session.flush()
    record(session, organization_id=actor.organization_id, action="custom_field.updated", object_type="custom_field",
           object_id=definition.id, object_key=definition.key,
           changes={k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v})
    await do_bump_catalog_version(session, actor.organization_id)
    return definition


async def check_add_option(session: AsyncSession, *, actor: Actor, definition: CustomFieldDefinition,
                           value: str) -> CustomFieldOption:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    if definition.field_type not in {"select", "multi_select"}:
        raise InvalidInput("Only select fields have options.", field="field_type")
    value = value.strip()
    if not value or len(value) > 255:
        raise InvalidInput("An option is 1 to 255 characters.", field="value")
    options = (await list_options(session, actor.organization_id, [definition.id])).get(definition.id, [])
    if any(option.value.casefold() == value.casefold() for option in options):
        raise Conflict(f"Option '{value}' exists.", code="duplicate_name", field="value")
    option = CustomFieldOption(organization_id=actor.organization_id, field_id=definition.id, value=value,
                               position=len(options))
    session.add(option)
    await session.flush()
    record(session, organization_id=actor.organization_id, action="custom_field.option_added",
           object_type="custom_field", object_id=definition.id, object_key=definition.key, changes={"option": value})
    await do_bump_catalog_version(session, actor.organization_id)
    return option


async def coerce_value(session: AsyncSession, *, organization_id: int, definition: CustomFieldDefinition,
                       options: Sequence[CustomFieldOption], value: object, where: str) -> list[TypedValue]:
    """Validate a client's value for a field and return the rows to store (empty list clears it)."""
    if value is None or value == "" or value == []:
        return []
    kind = definition.field_type
    if kind == "multi_select":
        values = value if isinstance(value, list) else [value]
        chosen: list[TypedValue] = []
        for item in values:
            for typed in _option(options, item, where):
                if typed.ref not in {c.ref for c in chosen}:
                    chosen.append(typed)
        return chosen
    if isinstance(value, list):
        raise InvalidInput(f"{definition.name} takes a single value, not a list.", field=where)
    if kind == "number":
        number = parse_decimal(value)
        if number is None:
            raise InvalidInput(f"{definition.name} must be a number.", field=where)
        if abs(number) > 1e15:
            raise InvalidInput(f"{definition.name} must be a finite number.", field=where)
        return [TypedValue(number=number, display=f"{number:g}")]
    if kind == "text":
        if not isinstance(value, str):
            raise InvalidInput(f"{definition.name} must be text.", field=where)
        if len(value) > TEXT_MAX:
            raise InvalidInput(f"{definition.name} is longer than {TEXT_MAX} characters.", field=where)
        return [TypedValue(text=value, display=value)]
    if kind == "date":
        if isinstance(value, date):
            return [TypedValue(day=value, display=value.isoformat())]
        try:
            day = date.fromisoformat(str(value)[:10]) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput(f"{definition.name} must be a date (YYYY-MM-DD).", field=where)
        return [TypedValue(day=day, display=day.isoformat())]
    if kind == "select":
        return _option(options, value, where)
    if kind in ("user", "sprint"):
        return await _reference(session, organization_id, kind, value, where)
    raise InvalidInput(f"{definition.name} has an unsupported type.", field=where)


async def _reference(session: AsyncSession, organization_id: int, kind: str, value: object,
                     where: str) -> list[TypedValue]:
    """A user or sprint field's value: the id of a row of the organization, or {"id": ...}."""
    model: Any = User if kind == "user" else Sprint
    ref = value.get("id") if isinstance(value, dict) else value
    row_id = parse_id(ref)
    row = row_id and await session.scalar(select(model).where(
        model.organization_id == organization_id, model.id == row_id))
    if not row:
        raise InvalidInput(f"The {kind} '{str(ref)[:100]}' does not exist.", field=where)
    return [TypedValue(ref=row.id, display=row.display_name if kind == "user" else row.name)]


def _option(options: Sequence[CustomFieldOption], value: object, where: str) -> list[TypedValue]:
    ref = value.get("id") or value.get("value") if isinstance(value, dict) else value
    wanted_id = parse_id(ref)
    for option in options:
        if option.disabled:
            continue
        if option.id == wanted_id or (isinstance(ref, str) and option.value.casefold() == ref.strip().casefold()):
            return [TypedValue(ref=option.id, display=option.value)]
    known = ", ".join(option.value for option in options if not option.disabled)
    raise InvalidInput(f"'{str(ref)[:100]}' is not an option. Options: {known}.", field=where)
