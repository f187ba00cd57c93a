"""Limits that refuse abusive queries before any resolver runs, with an error saying what to
change: nesting depth (MAX_DEPTH levels of fields) and estimated cost.

Cost estimates the number of values the response would hold: each field counts once for every
item of the lists it sits in. A list field multiplies what is below it by its `first` or `last`
argument (as given, from a variable, or the argument's default); a list without them by what it
returns at most (UNPAGED_SIZES), else by DEFAULT_LIST_SIZE; a connection's `edges`/`nodes` add nothing of their own, since the
connection's `first` already counted. Introspection (`__schema`, `__type`, `__typename`) is free,
so GraphiQL and code generators work."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)
from graphql.language import VariableNode
from strawberry.extensions import SchemaExtension

from tessera.api.graphql.issues import MAX_COMMENTS

MAX_DEPTH = 10
MAX_COST = 25_000
DEFAULT_LIST_SIZE = 20
UNPAGED_SIZES = {("Issue", "comments"): MAX_COMMENTS}
_PAGING = ("first", "last")


@dataclass
class Measure:
    depth: int = 0
    cost: int = 0


def _is_list(field_type: Any) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


def _argument_value(node: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for argument in node.arguments or ():
        if argument.name.value == name:
            if isinstance(argument.value, VariableNode):
                return variables.get(argument.value.name.value)
            return value_from_ast_untyped(argument.value, variables)
    return None


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _fields(self, selection_set: SelectionSetNode, parent: GraphQLObjectType | None,
                seen: frozenset[str]) -> Iterator[tuple[FieldNode, GraphQLObjectType | None]]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                yield from self._fields(selection.selection_set, kind if isinstance(kind, GraphQLObjectType)
                                        else parent, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # validation reports both; never loop
                    continue
                kind = self.schema.get_type(fragment.type_condition.name.value)
                yield from self._fields(fragment.selection_set, kind if isinstance(kind, GraphQLObjectType)
                                        else parent, seen | {name})

    def _multiplier(self, node: FieldNode, parent: GraphQLObjectType, field: Any) -> int:
        if parent.name.endswith("Connection") and node.name.value in ("edges", "nodes"):
            return 1
        if not _is_list(field.type) and not get_named_type(field.type).name.endswith("Connection"):
            return 1
        for name in _PAGING:
            value = _argument_value(node, name, self.variables)
            if value is None and name in field.args:
                value = field.args[name].default_value
            if isinstance(value, int) and not isinstance(value, bool):
                return max(value, 0)
        if not isinstance(get_named_type(field.type), GraphQLObjectType):
            return 1  # a list of scalars is one value as far as cost goes
        return UNPAGED_SIZES.get((parent.name, node.name.value), DEFAULT_LIST_SIZE)

    def measure(self, selection_set: SelectionSetNode, parent: GraphQLObjectType | None, *, depth: int = 1,
                seen: frozenset[str] = frozenset()) -> Measure:
        total = Measure(depth=depth - 1)
        for node, kind in self._fields(selection_set, parent, seen):
            name = node.name.value
            if name.startswith("__"):
                continue
            field = kind.fields.get(name) if kind is not None else None
            if field is None:
                continue  # validation reports unknown fields
            cost = 1
            total.depth = max(total.depth, depth)
            if node.selection_set is not None:
                child_type = get_named_type(field.type)
                below = self.measure(node.selection_set, child_type if isinstance(child_type, GraphQLObjectType)
                                     else None, depth=depth + 1, seen=seen)
                cost += self._multiplier(node, kind, field) * below.cost
                total.depth = max(total.depth, below.depth)
            total.cost += cost
        return total


def measure_operation(schema: GraphQLSchema, document: Any, operation_name: str | None,
                      variables: Mapping[str, Any] | None) -> Measure:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next((o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)),
                     None)
    if operation is None:
        return Measure()
    root = schema.get_root_type(operation.operation)
    return _Walker(schema, fragments, variables or {}).measure(operation.selection_set, root)


class QueryLimits(SchemaExtension):
    """Runs after validation (the document is known to be well-formed) and before execution."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            found = measure_operation(context.schema._schema, context.graphql_document, context.operation_name,
                                      context.variables)
            if found.depth > MAX_DEPTH:
                raise GraphQLError(
                    f"The query nests fields {found.depth} levels deep; at most {MAX_DEPTH} are allowed. "
                    "Ask for less nesting, or split it into several queries.",
                    extensions={"code": "QUERY_TOO_DEEP", "depth": found.depth, "maxDepth": MAX_DEPTH})
            if found.cost > MAX_COST:
                raise GraphQLError(
                    f"The query's estimated cost is {found.cost}; at most {MAX_COST} is allowed. Each field counts "
                    "once per item of the lists around it (first/last multiply): ask for fewer items or fields.",
                    extensions={"code": "QUERY_TOO_COMPLEX", "cost": found.cost, "maxCost": MAX_COST})
        yield
