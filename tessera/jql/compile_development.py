"""`development[...]` conditions (tessera.jql.development) as id sets.

A count is compared per issue; an issue with nothing linked has no rows and counts 0. So when 0
satisfies the comparison the condition is the complement of the issues whose count fails it
(`= 0`, `< 2`, `!= 3`), otherwise the issues whose count passes it: either way one uncorrelated,
organization-filtered SELECT over the link table's (organization_id, issue_id) index, and the
condition stays two-valued. `> 0` and `= 0`, the usual forms, need no grouping at all."""

from __future__ import annotations

import operator
from collections.abc import Callable

from sqlalchemy import and_, func, not_
from sqlalchemy.sql.elements import ColumnElement

from tessera.jql.development import DEVELOPMENT_FACTS
from tessera.jql.id_sets import in_id_set
from tessera.jql.plan import Term

Condition = ColumnElement[bool]
_ORDERED: dict[str, Callable[[object, object], bool]] = {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def _number(value: object) -> object:
    """Counts are whole: `= 2.0` is `= 2` (and reads so in SQL on both databases)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _holds(op: str, values: list, count: int) -> bool:  # type: ignore[type-arg]
    if op == "in":
        return count in values
    if op == "not_in":
        return count not in values
    return _ORDERED[op](count, values[0])


def _means_some(op: str, values: list) -> bool:  # type: ignore[type-arg]
    """Whether, over counts 0, 1, 2…, the comparison holds exactly for 1 and up."""
    if op == "not_in":
        return set(values) == {0}
    bound = values[0]
    return op == "gt" and 0 <= bound < 1 or op == "ge" and 0 < bound <= 1


def _means_none(op: str, values: list) -> bool:  # type: ignore[type-arg]
    """Whether it holds for 0 alone."""
    if op == "in":
        return set(values) == {0}
    if op == "not_in":
        return False
    bound = values[0]
    return op == "lt" and 0 < bound <= 1 or op == "le" and 0 <= bound < 1


def _count_condition(term: Term, organization_id: int) -> Condition:
    fact = DEVELOPMENT_FACTS.get(term.field.fact or "")
    assert fact.rows is not None
    rows = fact.rows(organization_id)
    op, values = term.op, [_number(v) for v in term.values]
    if _means_some(op, values):
        return in_id_set(rows)
    if _means_none(op, values):
        return not_(in_id_set(rows))
    issue_id = rows.selected_columns[0]
    count = func.count()
    if op == "in":
        passes = count.in_(values)
    elif op == "not_in":
        passes = count.notin_(values)
    else:
        passes = getattr(count, f"__{op}__")(values[0])
    grouped = rows.with_only_columns(issue_id).group_by(issue_id)
    if _holds(op, values, 0):
        return not_(in_id_set(grouped.having(not_(passes)), distinct=True))
    return in_id_set(grouped.having(passes), distinct=True)


def _value_condition(term: Term, organization_id: int) -> Condition:
    """`= x` / IN: some linked item has one of the values; `!= x` / NOT IN: items are linked and
    none has one of them (as on the other multi-valued fields)."""
    fact = DEVELOPMENT_FACTS.get(term.field.fact or "")
    assert fact.match is not None
    texts = [str(value) for value in term.values]
    matching = in_id_set(fact.match(organization_id, texts), distinct=True)
    if term.op == "in":
        return matching
    return and_(in_id_set(fact.match(organization_id, None), distinct=True), not_(matching))


def development_condition(term: Term, *, organization_id: int) -> Condition:
    if term.field.kind == "development_count":
        return _count_condition(term, organization_id)
    return _value_condition(term, organization_id)
