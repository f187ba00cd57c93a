"""Operand → resolved values for one field: names to ids, dates to UTC datetimes, text as is.

A value the caller cannot see (another organization's project, a private project's version)
gets exactly the message of a value that does not exist, so nothing leaks."""

from __future__ import annotations

from datetime import datetime

from tessera.errors import InvalidInput
from tessera.issues.durations import parse_estimate
from tessera.jql import ast, lookups
from tessera.jql.fields import FieldDef
from tessera.jql.functions import call_function, function_spec
from tessera.jql.lookups import Scope
from tessera.jql.plan import IssueSet, KeyBound
from tessera.jql.values import DateValueError, parse_date_value, parse_number
from tessera.projects.models import Component, Version
from tessera.workflow.models import CATEGORY_NAMES

UNRESOLVED = object()  # resolution = Unresolved means "no resolution"
MAX_VALUES = 5_000
_CATEGORY_KEYS = {"new": "todo", "todo": "todo", "to do": "todo", "indeterminate": "in_progress",
                  "in_progress": "in_progress", "in progress": "in_progress", "done": "done"}
_DATE_HELP = ("Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
              "or a period format e.g. '-5d', '4w 2d'.")


def positioned(message: str, pos: ast.Position, code: str = "jql_invalid_value") -> InvalidInput:
    return InvalidInput(message, field="jql", code=code, data={"line": pos.line, "column": pos.column})


def no_such_value(ref: ast.FieldRef, literal: ast.Literal) -> InvalidInput:
    return positioned(f"The value '{literal.text[:100]}' does not exist for the field '{ref.name[:100]}'.",
                      literal.pos)


def function_kind(field: FieldDef) -> str | None:
    """Which kind of function values the field accepts."""
    kind = field.custom_type if field.kind == "custom" else field.kind
    return {"user": "user", "watcher": "user", "voter": "user", "worklogauthor": "user", "datetime": "date",
            "date": "date", "worklogdate": "date", "sprint": "sprint", "key": "issue", "fixversion": "version",
            "affectedversion": "version", "issuetype": "issuetype", "project": "project",
            "component": "component"}.get(kind or "")


def _by_name_or_id(entries, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    wanted = text.strip().lower()
    return [e.id for e in entries if e.name.lower() == wanted or str(e.id) == wanted]


def parse_when(ref: ast.FieldRef, literal: ast.Literal, now: datetime) -> datetime:
    try:
        return parse_date_value(literal.text, now)
    except DateValueError:
        raise positioned(f"Date value '{literal.text[:60]}' for field '{ref.name[:100]}' is invalid. {_DATE_HELP}",
                         literal.pos) from None


async def literal_values(scope: Scope, field: FieldDef, ref: ast.FieldRef, literal: ast.Literal,
                         *, ordered: bool = False) -> list[object]:
    """The values a literal names for this field; raises when it names nothing."""
    text, kind = literal.text, field.kind
    catalog = scope.catalog
    found: list[object]
    if kind == "custom":
        return await _custom_values(scope, field, ref, literal)
    if kind in ("datetime", "date", "worklogdate"):
        return [parse_when(ref, literal, scope.now)]
    if kind in ("labels", "summary", "description", "comment", "text", "worklogcomment", "epicname"):
        return [text]
    if kind == "development_value":
        return [text]
    if kind in ("votes", "watchers", "workratio", "development_count"):
        try:
            return [parse_number(text)]
        except DateValueError:
            raise positioned(f"The value '{text[:60]}' for field '{field.name}' is not a number.",
                             literal.pos) from None
    if kind == "duration":
        try:
            return [parse_estimate(text, field=field.name, bare_unit="m")]
        except InvalidInput:
            raise positioned(f"The value '{text[:60]}' for field '{field.name}' is not a duration "
                             "such as '2h' or '1d 4h'.", literal.pos) from None
    if kind == "project":
        found = list(await lookups.project_ids(scope, text))
    elif kind == "issuetype":
        found = list(_by_name_or_id(catalog.issue_types, text))
    elif kind == "status":
        found = list(_by_name_or_id(catalog.statuses, text))
    elif kind in ("statuscategory", "epicstatus"):
        wanted = " ".join(text.lower().split())
        category = _CATEGORY_KEYS.get(wanted) or next(
            (key for key, name in CATEGORY_NAMES.items() if name.lower() == wanted), None)
        if category is None:
            raise no_such_value(ref, literal)
        return [s.id for s in catalog.statuses if s.category == category] or [0]
    elif kind == "priority":
        found = list(_by_name_or_id(catalog.priorities, text))
    elif kind == "resolution":
        if text.strip().lower() == "unresolved":
            return [UNRESOLVED]
        found = list(_by_name_or_id(catalog.resolutions, text))
    elif kind == "level":
        found = list(await lookups.level_ids(scope, text))
    elif kind in ("user", "watcher", "voter", "worklogauthor"):
        found = list(await lookups.user_ids(scope, text))
    elif kind == "component":
        found = list(await lookups.part_ids(scope, Component, text))
    elif kind in ("fixversion", "affectedversion"):
        found = list(await lookups.part_ids(scope, Version, text))
    elif kind == "sprint":
        found = list(await lookups.sprint_ids(scope, text))
    elif kind in ("parent", "epic", "parentepic", "key"):
        issue = await lookups.find_issue(scope, text)
        if issue is None:
            found = []
        elif ordered:
            found = [KeyBound(issue[1], issue[2])]
        else:
            found = [issue[0]]
    elif kind == "linktype":
        wanted = text.strip().lower()
        found = []
        # A description ("blocks", "is blocked by") names one side; a type name only when no
        # description matches ("Relates" both ways).
        for link_type in catalog.link_types:
            if wanted == link_type.outward.lower():
                found.append((link_type.id, "out"))
            if wanted == link_type.inward.lower():
                found.append((link_type.id, "in"))
        if not found:
            found = [(t.id, "any") for t in catalog.link_types if t.name.lower() == wanted]
    else:  # pragma: no cover - every kind is listed above
        raise no_such_value(ref, literal)
    if not found:
        raise no_such_value(ref, literal)
    return found


async def _custom_values(scope: Scope, field: FieldDef, ref: ast.FieldRef, literal: ast.Literal) -> list[object]:
    kind, text = field.custom_type, literal.text
    if kind == "number":
        try:
            return [parse_number(text)]
        except DateValueError:
            raise positioned(f"The value '{text[:60]}' is not a valid number for the field '{ref.name[:100]}'.",
                             literal.pos) from None
    if kind == "date":
        return [parse_when(ref, literal, scope.now)]
    if kind == "text":
        return [text]
    found: list[object]
    if kind in ("select", "multi_select"):
        wanted = text.strip().lower()
        options = scope.catalog.options.get(field.custom_id or 0, [])
        found = [o.id for o in options if o.value.lower() == wanted or str(o.id) == wanted]
    elif kind == "user":
        found = list(await lookups.user_ids(scope, text))
    elif kind == "sprint":
        found = list(await lookups.sprint_ids(scope, text))
    else:
        found = []
    if not found:
        raise no_such_value(ref, literal)
    return found


_PART_MODELS: dict[str, type[Component | Version]] = {"component": Component, "fixversion": Version,
                                                      "affectedversion": Version}


def _literal_texts(operand: ast.Operand) -> list[str]:
    if isinstance(operand, ast.ValueList):
        return [text for item in operand.items for text in _literal_texts(item)]
    return [operand.text] if isinstance(operand, ast.Literal) else []


async def operand_values(scope: Scope, field: FieldDef, ref: ast.FieldRef, operand: ast.Operand,
                         *, ordered: bool = False) -> tuple[list[object], bool, list[IssueSet]]:
    """(values, the operand includes EMPTY, issue sets from functions)."""
    values: list[object] = []
    sets: list[IssueSet] = []
    empty = False
    part_model = _PART_MODELS.get(field.kind)
    if part_model is not None:  # every name of a list in one read
        await lookups.prefetch_parts(scope, part_model, _literal_texts(operand))
    pending: list[ast.Operand] = [operand]
    while pending:
        item = pending.pop(0)
        if isinstance(item, ast.ValueList):
            pending[:0] = list(item.items)
        elif isinstance(item, ast.Empty):
            empty = True
        elif isinstance(item, ast.FunctionCall):
            spec = function_spec(item)
            if spec.yields != function_kind(field):
                raise positioned(f"A value provided by the function '{spec.name}' is invalid for the field "
                                 f"'{ref.name[:100]}'.", item.pos, code="jql_function")
            _, result = await call_function(scope, item)
            if isinstance(result, IssueSet):
                sets.append(result)
            else:
                values.extend(result)
        else:
            for value in await literal_values(scope, field, ref, item, ordered=ordered):
                if value is UNRESOLVED:
                    empty = True
                else:
                    values.append(value)
        if len(values) > MAX_VALUES:
            raise positioned(f"Too many values for the field '{ref.name[:100]}' (more than {MAX_VALUES}).", ref.pos)
    return values, empty, sets
