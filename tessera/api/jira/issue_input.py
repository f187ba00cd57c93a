"""Jira's create and edit bodies (`{"fields": {...}, "update": {...}}`) translated into the
IssueCreate / IssueUpdate inputs every transport shares, plus the comments and worklogs an
`update` adds. Every bad field is reported at once, under Jira's field id, as Jira does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.bodies import ref_of
from tessera.api.jira.errors import JIRA_FIELDS
from tessera.api.jira.people import user_id_for
from tessera.db.refs import parse_id, parse_int
from tessera.errors import InvalidInput, TesseraError
from tessera.issues.durations import parse_estimate
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.references import OrgCatalog
from tessera.jira_format.fields import EPIC_LINK_FIELD, EPIC_NAME_FIELD, find_field
from tessera.tenancy.actor import Actor

USERS = {"assignee": "assignee_id", "reporter": "reporter_id"}
ESTIMATES = {"timeoriginalestimate": "original_estimate", "timeestimate": "remaining_estimate"}
LISTS = {"labels": "labels", "components": "components", "fixVersions": "fix_versions",
         "versions": "affected_versions"}
NOT_SETTABLE = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
REQUIRED = {"project": "project is required", "issuetype": "issue type is required",
            "summary": "You must specify a summary of the issue."}
_OURS_TO_JIRA = {**JIRA_FIELDS, **{ours: jira for jira, ours in LISTS.items()}, "summary": "summary",
                 "description": "description", "priority": "priority", "custom_fields": "customfield",
                 "original_estimate": "timeoriginalestimate", "remaining_estimate": "timeestimate"}


@dataclass
class IssueChanges:
    values: dict[str, Any] = field(default_factory=dict)  # IssueCreate / IssueUpdate keywords
    comments: list[dict[str, Any]] = field(default_factory=list)  # {"body", "visibility"}
    worklogs: list[dict[str, Any]] = field(default_factory=list)  # Jira worklog bodies
    links: list[dict[str, Any]] = field(default_factory=list)  # {"type", "outwardIssue" | "inwardIssue"}


def _timetracking(value: object) -> dict[str, int | None]:
    """Jira's `timetracking` ({originalEstimate, remainingEstimate}: durations, a bare number
    being minutes as Jira's default unit; or the ...Seconds forms) as estimate keywords."""
    if value is None:
        return {"original_estimate": None, "remaining_estimate": None}
    if not isinstance(value, dict):
        raise InvalidInput("timetracking is an object such as {\"originalEstimate\": \"1d 2h\"}.")
    found: dict[str, int | None] = {}
    for jira_name, ours in (("originalEstimate", "original_estimate"), ("remainingEstimate", "remaining_estimate")):
        if f"{jira_name}Seconds" in value:
            found[ours] = parse_estimate(value[f"{jira_name}Seconds"], field=jira_name)
        if jira_name in value:
            raw = value[jira_name]
            found[ours] = parse_estimate(str(raw) if isinstance(raw, int | float) and not isinstance(raw, bool)
                                         else raw, field=jira_name, bare_unit="m")
    return found


def _part_ref(item: object) -> object:
    """A component or version reference: its id (a number) or its name."""
    ref = ref_of(item, "id", "name")
    if isinstance(item, dict) and item.get("id") not in (None, "") and parse_id(item["id"]) is not None:
        return parse_id(item["id"])
    return ref


def _option_ref(item: object) -> object:
    if isinstance(item, dict):
        return {k: v for k, v in item.items() if k in ("id", "value")}
    return item


class _Translator:
    def __init__(self, session: AsyncSession, actor: Actor, catalog: OrgCatalog, *, creating: bool,
                 automatic_assignee: int | None) -> None:
        self.session, self.actor, self.catalog = session, actor, catalog
        self.creating, self.automatic_assignee = creating, automatic_assignee
        self.errors: dict[str, str] = {}
        self.changes = IssueChanges()

    async def field(self, name: str, value: Any) -> None:
        try:
            await self._field(name, value)
        except TesseraError as error:
            self.errors[name] = error.message

    async def _field(self, name: str, value: Any) -> None:
        values = self.changes.values
        if name == "project" and self.creating:
            values["project_id"] = ref_of(value, "id", "key")
        elif name == "issuetype":
            values["issue_type"] = ref_of(value, "id", "name")
        elif name in ("summary", "description"):
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"The {name} must be text.")
            values[name] = value
        elif name == "priority":
            values["priority"] = ref_of(value, "id", "name")
        elif name == "duedate":
            values["due_date"] = value
        elif name in USERS:
            values[USERS[name]] = await user_id_for(self.session, self.actor, value, field=name,
                                                    automatic_id=self.automatic_assignee)
        elif name in LISTS:
            if value is None:
                values[LISTS[name]] = []
            elif not isinstance(value, list):
                raise InvalidInput(f"'{name}' takes a list.")
            else:
                values[LISTS[name]] = [item if name == "labels" else _part_ref(item) for item in value]
        elif name == "parent":
            values["parent_id"] = ref_of(value, "key", "id")
        elif name == "security":
            values["security_level"] = ref_of(value, "id", "name")
        elif name == "timetracking":
            values.update(_timetracking(value))
        elif name in ESTIMATES:
            # Jira's numeric fields: seconds (a duration string is read as one, too).
            if isinstance(value, str) and parse_int(value) is not None:
                value = parse_int(value)
            values[ESTIMATES[name]] = parse_estimate(value, field=name)
        else:
            await self._custom(name, value)

    async def _custom(self, name: str, value: Any) -> None:
        found = find_field(self.catalog, name) if name not in ("resolution", "status") else None
        if found is not None and found.id == EPIC_LINK_FIELD:
            # The epic by key (or id); null takes the issue out of its epic.
            self.changes.values["parent_id"] = ref_of(value, "key", "id")
            return
        if found is not None and found.id == EPIC_NAME_FIELD:
            if value is not None and not isinstance(value, str):
                raise InvalidInput("The Epic Name must be text.")
            return  # the epic's summary: _epic_name_as_summary moved it there when no summary came
        definition = found.definition if found is not None else None
        if definition is None:
            raise InvalidInput(NOT_SETTABLE.format(name))
        kind = definition.field_type
        if kind == "user":
            value = await user_id_for(self.session, self.actor, value, field=name)
        elif kind == "multi_select" and value is not None:
            value = [_option_ref(item) for item in (value if isinstance(value, list) else [value])]
        elif kind == "select":
            value = _option_ref(value)
        elif kind == "sprint":
            value = ref_of(value[0] if isinstance(value, list) and value else value, "id")
        self.changes.values.setdefault("custom_fields", {})[found.id] = value

    async def verbs(self, name: str, operations: Any, current: dict | None) -> None:
        try:
            await self._verbs(name, operations, current)
        except TesseraError as error:
            self.errors[name] = error.message

    async def _verbs(self, name: str, operations: Any, current: dict | None) -> None:
        if not isinstance(operations, list) or not all(isinstance(op, dict) and len(op) == 1 for op in operations):
            raise InvalidInput(f"'update.{name}' is a list of operations such as [{{\"set\": ...}}].")
        if name == "comment":
            for op in operations:
                body = op.get("add")
                if not isinstance(body, dict):
                    raise InvalidInput("Comments are only added: [{\"add\": {\"body\": \"...\"}}].")
                self.changes.comments.append(body)
            return
        if name == "worklog":
            for op in operations:
                if not isinstance(op.get("add"), dict):
                    raise InvalidInput("Worklogs are only added: [{\"add\": {\"timeSpent\": \"1h\"}}].")
                self.changes.worklogs.append(op["add"])
            return
        if name == "issuelinks":
            for op in operations:
                link = op.get("add")
                if not isinstance(link, dict) or not isinstance(link.get("type"), dict | str) or \
                        (link.get("outwardIssue") is None) == (link.get("inwardIssue") is None):
                    raise InvalidInput("Links are only added: [{\"add\": {\"type\": {\"name\": \"Blocks\"}, "
                                       "\"outwardIssue\": {\"key\": \"ABC-1\"}}}].")
                self.changes.links.append(link)
            return
        found = find_field(self.catalog, name)
        multi = name in LISTS or (found is not None and found.definition is not None
                                  and found.definition.field_type == "multi_select")
        if not multi:
            for op in operations:
                verb, value = next(iter(op.items()))
                if name == "timetracking" and verb == "edit":
                    verb = "set"
                if verb != "set":
                    raise InvalidInput(f"'{name}' supports only the set operation.")
                await self._field(name, value)
            return
        items = self._current_items(name, found, current)
        for op in operations:
            verb, value = next(iter(op.items()))
            if verb == "set":
                items = list(value) if isinstance(value, list) else [] if value is None else [value]
            elif verb == "add":
                items.append(value)
            elif verb == "remove":
                items = [item for item in items if not _same(item, value)]
            else:
                raise InvalidInput(f"Unknown operation '{verb}' on '{name}': use set, add or remove.")
        await self._field(found.id if found is not None and name not in LISTS else name, items)

    def _current_items(self, name: str, found: Any, current: dict | None) -> list[Any]:
        if current is None:
            return []
        if name == "labels":
            return list(current["labels"])
        if name in LISTS:
            return [{"id": part["id"], "name": part["name"]} for part in current[LISTS[name]]]
        return [{"id": option["id"], "value": option["value"]}
                for option in current["custom_fields"].get(found.definition.key) or []]


def _same(item: object, wanted: object) -> bool:
    """Does a current list item match a `remove` value (a label, or {"id"}/{"name"}/{"value"})?"""
    if not isinstance(item, dict) or not isinstance(wanted, dict):
        return str(ref_of(item, "name", "value", "id")).casefold() == str(ref_of(wanted, "name", "value", "id")
                                                                            ).casefold()
    if wanted.get("id") not in (None, ""):
        return str(item.get("id")) == str(wanted["id"])
    for key in ("name", "value"):
        if wanted.get(key) is not None and item.get(key) is not None:
            return str(item[key]).casefold() == str(wanted[key]).casefold()
    return False


def needs_current(update: object) -> bool:
    """Whether an `update` adds to or removes from a list (so the current values must be read)."""
    return isinstance(update, dict) and any(
        isinstance(ops, list) and any(isinstance(op, dict) and ({"add", "remove"} & op.keys()) for op in ops)
        for name, ops in update.items() if name not in ("comment", "worklog", "issuelinks"))


def _validated(model: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        errors = {}
        for problem in error.errors():
            location = [str(part) for part in problem["loc"]]
            name = location[1] if location[0] == "custom_fields" and len(location) > 1 else location[0]
            jira_name = _OURS_TO_JIRA.get(name, name)
            errors[jira_name] = REQUIRED["summary"] if jira_name == "summary" and problem["type"] == \
                "string_too_short" else str(problem["msg"])
        raise InvalidInput("; ".join(errors.values()), errors=errors) from None


def _epic_name_as_summary(catalog: OrgCatalog, fields: dict[str, Any]) -> dict[str, Any]:
    """Tessera names an epic by its summary: an Epic Name sent without a summary (Jira Software
    asks for both when creating an epic; an edit may send the name alone) becomes the summary."""
    if fields.get("summary") not in (None, ""):
        return fields
    for name, value in fields.items():
        found = find_field(catalog, name)
        if found is not None and found.id == EPIC_NAME_FIELD and isinstance(value, str) and value.strip():
            return {**fields, "summary": value}
    return fields


async def translate_issue_body(session: AsyncSession, *, actor: Actor, catalog: OrgCatalog, body: dict[str, Any],
                               creating: bool, current: dict | None = None,
                               automatic_assignee: int | None = None) -> tuple[IssueCreate | IssueUpdate | None,
                                                                               IssueChanges]:
    """(the input for the issue service, or None when no field changes; the whole translation)."""
    fields, update = body.get("fields") or {}, body.get("update") or {}
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise InvalidInput("'fields' and 'update' are JSON objects.", field="fields")
    fields = _epic_name_as_summary(catalog, fields)
    translator = _Translator(session, actor, catalog, creating=creating, automatic_assignee=automatic_assignee)
    for name in fields.keys() & update.keys():
        translator.errors[name] = f"Field '{name}' cannot appear in both 'fields' and 'update'"
    if creating:
        for name, message in REQUIRED.items():
            if fields.get(name) in (None, "", {}):
                translator.errors[name] = message
    for name, value in fields.items():
        if name not in translator.errors:
            await translator.field(name, value)
    for name, operations in update.items():
        if name not in translator.errors:
            await translator.verbs(name, operations, current)
    if translator.errors:
        raise InvalidInput("; ".join(translator.errors.values()), errors=translator.errors)
    values = translator.changes.values
    if creating:
        return _validated(IssueCreate, values), translator.changes
    return (_validated(IssueUpdate, values) if values else None), translator.changes
