"""A validated query: every field resolved against the catalog and every value resolved to ids,
dates or numbers. validate.py builds it (async, may read the database); compile.py turns it
into SQL without any further lookups. Nothing here knows SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tessera.jql.fields import FieldDef


@dataclass(frozen=True)
class IssueSet:
    """Issues named by a function rather than by value.

    kind "linked": issues linked to `issue_id` (by `links`: (link_type_id, direction) pairs,
    direction "out" (issue_id is the source), "in" or "any"; empty = every link type);
    kind "updated_by": issues with a change group by one of `user_ids` in [start, end];
    kind "watched" / "voted": issues one of `user_ids` watches / voted for;
    kind "remote_links": issues with a remote link whose global id is one of `global_ids`;
    kind "none": no issues (issueHistory, until issue views are recorded)."""

    kind: str
    issue_id: int | None = None
    links: tuple[tuple[int, str], ...] = ()
    user_ids: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    global_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyBound:
    """`key > PROJ-5`: an issue number within one project."""

    project_id: int
    number: int


@dataclass(frozen=True)
class Predicate:
    """A history predicate: `values` are user ids (by) or history values as text (from/to);
    `start`/`end` bound the moment (after: start; before: end; on/during: both)."""

    kind: str
    values: tuple[object, ...] = ()
    empty: bool = False
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Term:
    """One resolved clause. `op` is one of: in, not_in (with `values` and `empty`, the operand
    contained EMPTY/Unresolved), lt, le, gt, ge (one value), empty, not_empty, match, no_match
    (text in values[0]), was, was_not (history values as text), changed."""

    field: FieldDef
    op: str
    values: tuple[object, ...] = ()
    empty: bool = False
    sets: tuple[IssueSet, ...] = ()
    predicates: tuple[Predicate, ...] = ()


@dataclass(frozen=True)
class AllOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Negation:
    item: Node


Node = Term | AllOf | AnyOf | Negation


@dataclass(frozen=True)
class SortSpec:
    field: FieldDef
    descending: bool


@dataclass(frozen=True)
class Plan:
    """`ranks` orders catalog ids for sorting (priority by sequence; status, type and
    resolution by name), keyed by field kind."""

    where: Node | None
    order: tuple[SortSpec, ...] = ()
    ranks: dict[str, dict[int, int]] = field(default_factory=dict)
