"""The JQL syntax tree: immutable nodes, each keeping where it starts in the query text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


@dataclass(frozen=True)
class FieldRef:
    """`name` is as written (unquoted); `cf_id` is set for cf[10001]."""

    name: str
    pos: Position
    cf_id: int | None = None


@dataclass(frozen=True)
class Literal:
    text: str
    pos: Position
    quoted: bool = False


@dataclass(frozen=True)
class Empty:
    pos: Position


@dataclass(frozen=True)
class FunctionCall:
    """`args` are text, or calls of functions that give one value (currentUser(), now()...)."""

    name: str
    args: tuple[str | FunctionCall, ...]
    pos: Position


@dataclass(frozen=True)
class ValueList:
    items: tuple[Operand, ...]
    pos: Position


Operand = Literal | Empty | FunctionCall | ValueList


@dataclass(frozen=True)
class Compare:
    field: FieldRef
    op: str  # = != > >= < <= ~ !~
    operand: Operand
    pos: Position


@dataclass(frozen=True)
class IsEmpty:
    field: FieldRef
    negated: bool
    pos: Position


@dataclass(frozen=True)
class InList:
    field: FieldRef
    negated: bool
    operand: Operand
    pos: Position


@dataclass(frozen=True)
class HistoryPredicate:
    kind: str  # after before on during by from to
    operand: Operand
    pos: Position


@dataclass(frozen=True)
class Was:
    field: FieldRef
    negated: bool
    in_list: bool
    operand: Operand
    predicates: tuple[HistoryPredicate, ...]
    pos: Position


@dataclass(frozen=True)
class Changed:
    field: FieldRef
    predicates: tuple[HistoryPredicate, ...]
    pos: Position


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]
    pos: Position


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]
    pos: Position


@dataclass(frozen=True)
class Not:
    item: Node
    pos: Position


Clause = Compare | IsEmpty | InList | Was | Changed
Node = Clause | And | Or | Not


@dataclass(frozen=True)
class SortKey:
    field: FieldRef
    descending: bool | None  # None: the field's default direction
    pos: Position


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[SortKey, ...] = ()


def to_data(node: object) -> object:
    """A plain, JSON-ready form of a node (for golden files and debugging): {"node": type, ...}."""
    if isinstance(node, tuple):
        return [to_data(item) for item in node]
    if isinstance(node, Position):
        return f"{node.line}:{node.column}"
    if hasattr(node, "__dataclass_fields__"):
        data: dict[str, object] = {"node": type(node).__name__}
        for name in node.__dataclass_fields__:  # type: ignore[attr-defined]
            data[name] = to_data(getattr(node, name))
        return data
    return node
