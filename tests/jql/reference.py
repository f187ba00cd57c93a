"""A plain-Python JQL evaluator over in-memory issues: the oracle of the differential test.

It implements the documented semantics (../shared/reference/jql.md) for the subset the test
generates, as directly as possible and without sharing code with the engine beyond the parser:

- `!=` and `NOT IN` never match an empty value; on multi-valued fields (labels, component,
  fixVersion) `= x` means "has x" and `!= x` means "has values, none of them x".
- `NOT` is the boolean complement within the searched issues (so `NOT assignee = a` does
  include unassigned issues, unlike `assignee != a`).
- `resolution = Unresolved` is `resolution IS EMPTY`.
- priority compares by scheme order: `priority > Medium` means more important than Medium.
- Dates are UTC; "yyyy-mm-dd" is midnight; relative dates ("-3d", "-2w", "-5h") count from the
  `now` passed in. `due` is a date: date values compare by their calendar day.
- `summary ~ word` is a case-insensitive whole-word match; a value with spaces is a phrase.
- ORDER BY: each key in turn, empty values after all others ascending (before them descending),
  and finally the issue id ascending, so the order is total.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tessera.jql import ast
from tessera.jql.parser import parse

MULTI = frozenset({"labels", "component", "fixversion"})
ALIASES = {
    "type": "issuetype", "label": "labels", "components": "component", "fixversions": "fixversion",
    "createddate": "created", "updateddate": "updated", "duedate": "due", "issuekey": "key",
    "resolutiondate": "resolved", "story points": "story_points", "cf[10001]": "story_points",
}
_ABSOLUTE = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?: (\d{1,2}):(\d{2}))?$")
_RELATIVE = re.compile(r"^([+-]?)((?:\d+[wdhm] ?)+)$")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_WORD = re.compile(r"[a-z0-9]+")


class ReferenceError(Exception):
    """The query uses something outside the subset the reference implements."""


@dataclass(frozen=True)
class RefIssue:
    id: int
    key: str
    project_key: str
    project_name: str
    issue_type: str
    status: str
    status_category: str
    priority: str
    resolution: str | None
    assignee: int | None
    reporter: int | None
    labels: frozenset[str]
    components: frozenset[str]
    fix_versions: frozenset[str]
    due: date | None
    created: datetime
    updated: datetime
    resolved: datetime | None
    summary: str
    story_points: float | None

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass(frozen=True)
class RefWorld:
    """`priorities` most important first (Highest, High, …); `users` maps every accepted
    spelling of a user (lower case) to the user's id."""

    issues: tuple[RefIssue, ...]
    priorities: tuple[str, ...]
    users: dict[str, int]
    current_user: int
    now: datetime
    project_names: dict[str, str] = field(default_factory=dict)  # lower name or key → key


def _fold(text: str) -> str:
    return text.casefold()


def _field_name(ref: ast.FieldRef) -> str:
    name = ref.name.lower() if ref.cf_id is None else f"cf[{ref.cf_id}]"
    name = " ".join(name.split())
    return ALIASES.get(name, name)


def _values(operand: ast.Operand) -> list[ast.Literal | ast.Empty | ast.FunctionCall]:
    if isinstance(operand, ast.ValueList):
        out: list[ast.Literal | ast.Empty | ast.FunctionCall] = []
        for item in operand.items:
            out += _values(item)
        return out
    return [operand]


def parse_moment(text: str, now: datetime) -> datetime:
    absolute = _ABSOLUTE.match(text.strip())
    if absolute:
        year, month, day, hour, minute = absolute.groups()
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=now.tzinfo)
    relative = _RELATIVE.match(text.strip())
    if relative:
        sign, body = relative.groups()
        total = sum((int(part[:-1]) * _UNITS[part[-1]] for part in body.split()), timedelta())
        return now - total if sign == "-" else now + total
    raise ReferenceError(f"not a date: {text!r}")


class _Evaluator:
    def __init__(self, world: RefWorld) -> None:
        self.world = world
        self.rank = {_fold(name): len(world.priorities) - index for index, name in enumerate(world.priorities)}

    # -- values ------------------------------------------------------------------------------

    def single(self, issue: RefIssue, name: str) -> object:
        """The comparable value of a single-valued field (None when empty)."""
        getters: dict[str, Callable[[RefIssue], object]] = {
            "project": lambda i: _fold(i.project_key), "issuetype": lambda i: _fold(i.issue_type),
            "status": lambda i: _fold(i.status), "statuscategory": lambda i: _fold(i.status_category),
            "priority": lambda i: self.rank[_fold(i.priority)],
            "resolution": lambda i: _fold(i.resolution) if i.resolution else None,
            "assignee": lambda i: i.assignee, "reporter": lambda i: i.reporter,
            "created": lambda i: i.created, "updated": lambda i: i.updated, "resolved": lambda i: i.resolved,
            "due": lambda i: i.due, "story_points": lambda i: i.story_points,
            "key": lambda i: (_fold(i.project_key), i.number), "summary": lambda i: i.summary,
        }
        if name not in getters:
            raise ReferenceError(f"field {name!r} is not in the reference subset")
        return getters[name](issue)

    def multi(self, issue: RefIssue, name: str) -> frozenset[str]:
        values = {"labels": issue.labels, "component": issue.components, "fixversion": issue.fix_versions}[name]
        return frozenset(_fold(value) for value in values)

    def operand_value(self, name: str, value: ast.Literal | ast.FunctionCall) -> object:
        """A literal or function as the field's comparable value (None: EMPTY/Unresolved)."""
        if isinstance(value, ast.FunctionCall):
            function = value.name.lower()
            if function == "currentuser" and name in ("assignee", "reporter"):
                return self.world.current_user
            if function == "now" and name in ("created", "updated", "resolved", "due"):
                return self.world.now.date() if name == "due" else self.world.now
            raise ReferenceError(f"function {value.name}() on {name}")
        text = value.text
        if name in ("assignee", "reporter"):
            if _fold(text) not in self.world.users:
                raise ReferenceError(f"unknown user {text!r}")
            return self.world.users[_fold(text)]
        if name == "project":
            return self.world.project_names.get(_fold(text), _fold(text))
        if name == "priority":
            return self.rank[_fold(text)]
        if name == "resolution" and _fold(text) == "unresolved":
            return None
        if name in ("created", "updated", "resolved"):
            return parse_moment(text, self.world.now)
        if name == "due":
            return parse_moment(text, self.world.now).date()
        if name == "story_points":
            return float(text)
        if name == "key":
            project, number = text.rsplit("-", 1)
            return (_fold(project), int(number))
        return _fold(text)

    # -- clauses -----------------------------------------------------------------------------

    def clause(self, node: ast.Node, issue: RefIssue) -> bool:
        if isinstance(node, ast.And):
            return all(self.clause(item, issue) for item in node.items)
        if isinstance(node, ast.Or):
            return any(self.clause(item, issue) for item in node.items)
        if isinstance(node, ast.Not):
            return not self.clause(node.item, issue)
        if isinstance(node, ast.IsEmpty):
            return self.is_empty(issue, _field_name(node.field)) != node.negated
        if isinstance(node, ast.InList):
            return self.in_list(issue, _field_name(node.field), _values(node.operand), node.negated)
        if isinstance(node, ast.Compare):
            return self.compare(issue, _field_name(node.field), node.op, node.operand)
        raise ReferenceError(f"{type(node).__name__} is not in the reference subset")

    def is_empty(self, issue: RefIssue, name: str) -> bool:
        if name in MULTI:
            return not self.multi(issue, name)
        return self.single(issue, name) is None

    def in_list(self, issue: RefIssue, name: str, items: Iterable[ast.Operand], negated: bool) -> bool:
        wanted: list[object] = []
        wants_empty = False
        for item in items:
            value = None if isinstance(item, ast.Empty) else self.operand_value(name, item)  # type: ignore[arg-type]
            if value is None:
                wants_empty = True
            else:
                wanted.append(value)
        if name in MULTI:
            have = self.multi(issue, name)
            hit = any(value in have for value in wanted) or (wants_empty and not have)
            return bool(have) and not hit if negated else hit
        current = self.single(issue, name)
        hit = current in wanted if current is not None else wants_empty
        return current is not None and not hit if negated else hit

    def compare(self, issue: RefIssue, name: str, op: str, operand: ast.Operand) -> bool:
        if op in ("~", "!~"):
            if not isinstance(operand, ast.Literal) or name != "summary":
                raise ReferenceError(f"{name} {op}")
            return contains(issue.summary, operand.text) == (op == "~")
        if isinstance(operand, ast.ValueList):
            raise ReferenceError("a list after a comparison operator")
        if op in ("=", "!="):
            return self.in_list(issue, name, [operand], negated=op == "!=")
        if isinstance(operand, ast.Empty):
            raise ReferenceError("EMPTY after an ordering operator")
        if name in MULTI:
            raise ReferenceError(f"{op} on {name}")
        current = self.single(issue, name)
        value = self.operand_value(name, operand)
        if current is None or value is None:
            return False
        return {"<": current < value, "<=": current <= value, ">": current > value,  # type: ignore[operator]
                ">=": current >= value}[op]  # type: ignore[operator]

    # -- order -------------------------------------------------------------------------------

    def order(self, issues: list[RefIssue], keys: tuple[ast.SortKey, ...]) -> list[RefIssue]:
        ordered = sorted(issues, key=lambda issue: issue.id)
        for key in reversed(keys):
            name = _field_name(key.field)
            if name in MULTI:
                raise ReferenceError(f"ORDER BY {name}")
            descending = key.descending if key.descending is not None else name in (
                "priority", "created", "updated", "resolved")

            def sort_value(issue: RefIssue, name: str = name) -> tuple[bool, object]:
                value = self.single(issue, name)
                if isinstance(value, str):
                    value = _fold(value)
                return (value is None, value if value is not None else 0)

            ordered = sorted(ordered, key=sort_value, reverse=descending)
        return ordered


def words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


def contains(summary: str, query: str) -> bool:
    """Every word of an unquoted value, anywhere; a quoted phrase ("\\"a b\\""), adjacent."""
    text = words(summary)
    phrase = query.strip()
    if len(phrase) >= 2 and phrase[0] == phrase[-1] == '"':
        wanted = words(phrase[1:-1])
        return any(text[start:start + len(wanted)] == wanted for start in range(len(text) - len(wanted) + 1))
    return all(word in text for word in words(phrase))


def evaluate(world: RefWorld, jql: str) -> list[str]:
    """Keys of the issues the query selects, in the query's order (id order without ORDER BY)."""
    query = parse(jql)
    evaluator = _Evaluator(world)
    chosen = [issue for issue in world.issues if query.where is None or evaluator.clause(query.where, issue)]
    return [issue.key for issue in evaluator.order(chosen, query.order_by)]
