"""Semantic checks: AST → Plan. Fields must exist in the caller's organization, operators must
suit the field, values must exist (and be visible), functions must yield what the field takes.
Errors use Jira's wording and carry the line/column of the offending part."""

from __future__ import annotations

from datetime import timedelta

from tessera.errors import InvalidInput
from tessera.jql import ast
from tessera.jql.fields import SYSTEM_FIELDS, FieldDef, resolve_field
from tessera.jql.lookups import Scope
from tessera.jql.plan import (
    AllOf,
    AnyOf,
    Negation,
    Node,
    Plan,
    Predicate,
    SortSpec,
    Term,
)
from tessera.jql.resolve import no_such_value, operand_values, positioned
from tessera.jql.values import as_date

MAX_FILTER_DEPTH = 5
_ORDER_OPS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def _written_op(clause: ast.Clause) -> str:
    if isinstance(clause, ast.Compare):
        return clause.op
    if isinstance(clause, ast.IsEmpty):
        return "is not" if clause.negated else "is"
    if isinstance(clause, ast.InList):
        return "not in" if clause.negated else "in"
    if isinstance(clause, ast.Was):
        return "was" + (" not" if clause.negated else "") + (" in" if clause.in_list else "")
    return "changed"


def _check_operator(field: FieldDef, clause: ast.Clause, checked: str) -> None:
    if checked not in field.operators:
        raise positioned(f"The operator '{_written_op(clause)}' is not supported by the '{clause.field.name[:100]}' field.", clause.pos,
                         code="jql_operator")


async def _clause(scope: Scope, clause: ast.Clause) -> Node:
    ref = clause.field
    field = resolve_field(scope.catalog, ref)
    if field.kind == "filter":
        return await _filter(scope, clause)
    if isinstance(clause, ast.IsEmpty):
        _check_operator(field, clause, _written_op(clause))
        return Term(field, "not_empty" if clause.negated else "empty")
    if isinstance(clause, ast.InList):
        _check_operator(field, clause, _written_op(clause))
        values, empty, sets = await operand_values(scope, field, ref, clause.operand)
        return Term(field, "not_in" if clause.negated else "in", tuple(values), empty, tuple(sets))
    if isinstance(clause, ast.Was | ast.Changed):
        return await _history(scope, field, clause)
    op, operand = clause.op, clause.operand
    if isinstance(operand, ast.Empty) and op in ("=", "!="):
        _check_operator(field, clause, "is" if op == "=" else "is not")
        return Term(field, "empty" if op == "=" else "not_empty")
    _check_operator(field, clause, op)
    if op in ("~", "!~"):
        if not isinstance(operand, ast.Literal):
            raise positioned(f"The field '{ref.name[:100]}' takes text with '{op}'.", clause.pos)
        return Term(field, "match" if op == "~" else "no_match", (operand.text,))
    if op in ("=", "!="):
        if isinstance(operand, ast.ValueList):
            raise positioned(f"The operator '{op}' does not support a list of values; use IN.", operand.pos)
        values, empty, sets = await operand_values(scope, field, ref, operand)
        return Term(field, "in" if op == "=" else "not_in", tuple(values), empty, tuple(sets))
    if not isinstance(operand, ast.Literal | ast.FunctionCall):
        raise positioned(f"The operator '{op}' needs a single value for the field '{ref.name[:100]}'.", clause.pos)
    values, _, sets = await operand_values(scope, field, ref, operand, ordered=True)
    if sets or len(values) != 1:
        raise positioned(f"The operator '{op}' needs a single value for the field '{ref.name[:100]}'.", clause.pos)
    if field.kind == "priority":
        # Higher priority = lower sequence: `priority > Medium` is High and Highest.
        sequence = {p.id: p.sequence for p in scope.catalog.priorities}
        pivot = sequence[values[0]]  # type: ignore[index]
        test = {"<": lambda s: s > pivot, "<=": lambda s: s >= pivot,
                ">": lambda s: s < pivot, ">=": lambda s: s <= pivot}[op]
        return Term(field, "in", tuple(pid for pid, seq in sequence.items() if test(seq)))
    return Term(field, _ORDER_OPS[op], (values[0],))


async def _history_values(scope: Scope, field: FieldDef, ref: ast.FieldRef, operand: ast.Operand
                          ) -> tuple[tuple[object, ...], bool]:
    values, empty, sets = await operand_values(scope, field, ref, operand)
    if sets:
        raise positioned(f"Issue functions cannot be used with history operators on '{ref.name[:100]}'.", ref.pos)
    texts: list[object] = []
    for value in values:
        if isinstance(value, tuple):
            texts.append(str(value[0]))
        elif hasattr(value, "isoformat"):
            texts.append(as_date(value).isoformat() if field.custom_type == "date" else value.isoformat())
        else:
            texts.append(str(value))
    return tuple(texts), empty


async def _single_date(scope: Scope, operand: ast.Operand, pos: ast.Position):  # type: ignore[no-untyped-def]
    ref = ast.FieldRef(name="date", pos=pos)
    values, _, _ = await operand_values(scope, SYSTEM_FIELDS["created"], ref, operand)
    if len(values) != 1:
        raise positioned("A history predicate needs one date here.", pos)
    return values[0]


async def _predicate(scope: Scope, field: FieldDef, ref: ast.FieldRef, predicate: ast.HistoryPredicate,
                     operator: str) -> Predicate:
    kind, operand = predicate.kind, predicate.operand
    if kind in ("from", "to"):
        if operator != "changed":
            raise positioned(f"The predicate '{kind.upper()}' is only supported by CHANGED.", predicate.pos)
        values, empty = await _history_values(scope, field, ref, operand)
        return Predicate(kind, values, empty)
    if kind == "by":
        users, _, _ = await operand_values(scope, SYSTEM_FIELDS["assignee"], ast.FieldRef("by", predicate.pos),
                                           operand)
        return Predicate(kind, tuple(users))
    if kind == "during":
        if not isinstance(operand, ast.ValueList) or len(operand.items) != 2:
            raise positioned("DURING needs two dates: DURING (start, end).", predicate.pos)
        start = await _single_date(scope, operand.items[0], predicate.pos)
        end = await _single_date(scope, operand.items[1], predicate.pos)
        return Predicate(kind, start=start, end=end)
    moment = await _single_date(scope, operand, predicate.pos)
    if kind == "after":
        return Predicate(kind, start=moment)
    if kind == "before":
        return Predicate(kind, end=moment)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return Predicate("during", start=day, end=day + timedelta(days=1) - timedelta(microseconds=1))


async def _history(scope: Scope, field: FieldDef, clause: ast.Was | ast.Changed) -> Node:
    operator = _written_op(clause)
    if field.history_id is None or operator not in field.operators:
        raise positioned(f"History searches are not supported for the field '{clause.field.name[:100]}'.",
                         clause.pos, code="jql_operator")
    predicates = tuple([await _predicate(scope, field, clause.field, p, operator) for p in clause.predicates])
    if isinstance(clause, ast.Changed):
        return Term(field, "changed", predicates=predicates)
    values, empty = await _history_values(scope, field, clause.field, clause.operand)
    return Term(field, "was_not" if clause.negated else "was", values, empty, predicates=predicates)


async def _filter(scope: Scope, clause: ast.Clause) -> Node:
    from tessera.jql.filters import find_filter_jql
    from tessera.jql.parser import JqlSyntaxError, parse

    negated = isinstance(clause, ast.Compare) and clause.op == "!=" or isinstance(clause, ast.InList) and \
        clause.negated
    operand = getattr(clause, "operand", None)
    if not isinstance(clause, ast.Compare | ast.InList) or (isinstance(clause, ast.Compare) and
                                                             clause.op not in ("=", "!=")):
        raise positioned(f"The operator '{_written_op(clause)}' is not supported by the 'filter' field.",
                         clause.pos, code="jql_operator")
    if scope.filter_depth >= MAX_FILTER_DEPTH:
        raise positioned("Saved filters refer to each other too deeply (or in a circle).", clause.pos)
    items = list(operand.items) if isinstance(operand, ast.ValueList) else [operand]
    nodes: list[Node] = []
    for item in items:
        if not isinstance(item, ast.Literal):
            raise positioned("The field 'filter' takes saved filter names or ids.", clause.pos)
        jql = await find_filter_jql(scope.session, scope.actor, item.text)
        try:
            inner = parse(jql)
        except JqlSyntaxError:
            raise no_such_value(clause.field, item) from None
        scope.filter_depth += 1
        try:
            nodes.append(await _node(scope, inner.where) if inner.where is not None else AllOf(()))
        finally:
            scope.filter_depth -= 1
    node: Node = nodes[0] if len(nodes) == 1 else AnyOf(tuple(nodes))
    return Negation(node) if negated else node


async def _node(scope: Scope, node: ast.Node) -> Node:
    if isinstance(node, ast.And):
        return AllOf(tuple([await _node(scope, item) for item in node.items]))
    if isinstance(node, ast.Or):
        return AnyOf(tuple([await _node(scope, item) for item in node.items]))
    if isinstance(node, ast.Not):
        return Negation(await _node(scope, node.item))
    return await _clause(scope, node)


def _ranks(scope: Scope) -> dict[str, dict[int, int]]:
    def by_name(entries) -> dict[int, int]:  # type: ignore[no-untyped-def]
        ordered = sorted(entries, key=lambda e: (e.name.lower(), e.id))
        return {entry.id: rank for rank, entry in enumerate(ordered)}

    catalog = scope.catalog
    categories = {"todo": 0, "in_progress": 1, "done": 2}
    # Priority sorts by importance: DESC (its default) puts Highest (sequence 1) first.
    return {"priority": {p.id: -p.sequence for p in catalog.priorities}, "status": by_name(catalog.statuses),
            "statuscategory": {s.id: categories.get(s.category, 3) for s in catalog.statuses},
            "issuetype": by_name(catalog.issue_types), "resolution": by_name(catalog.resolutions)}


async def validate_query(scope: Scope, query: ast.Query) -> Plan:
    where = await _node(scope, query.where) if query.where is not None else None
    order: list[SortSpec] = []
    for key in query.order_by:
        field = resolve_field(scope.catalog, key.field)
        if not field.sortable:
            raise InvalidInput(f"Field '{key.field.name[:100]}' does not support sorting.", field="jql",
                               code="jql_sort", data={"line": key.pos.line, "column": key.pos.column})
        order.append(SortSpec(field, field.default_desc if key.descending is None else key.descending))
    return Plan(where=where, order=tuple(order), ranks=_ranks(scope))
