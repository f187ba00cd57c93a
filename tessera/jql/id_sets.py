"""Issue id sets: conditions `issues.id IN (SELECT issue_id …)` that can also be counted alone.

Value matches on multi-valued fields, WAS and CHANGED compile to an uncorrelated SELECT of
issue ids. Marked with `in_id_set`, such a SELECT promises what a count needs to skip the
issues table when the set is the whole query: it is filtered on the organization and reads rows
of live issues (their foreign keys cascade). `distinct` says no id appears twice in it, so
counting it needs no DISTINCT either."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from tessera.issues.models import Issue

_OPTION = "tessera_issue_id_set"


@dataclass(frozen=True)
class IdSet:
    ids: Select  # type: ignore[type-arg]
    distinct: bool

    def distinct_ids(self) -> Select:  # type: ignore[type-arg]
        return self.ids if self.distinct else self.ids.distinct()

    def count_query(self) -> Select:  # type: ignore[type-arg]
        return select(func.count()).select_from(self.distinct_ids().subquery())


def in_id_set(ids: Select, *, distinct: bool = False) -> ColumnElement[bool]:  # type: ignore[type-arg]
    """`issues.id IN (ids)`, where `ids` keeps the promises above."""
    return Issue.id.in_(ids.execution_options(**{_OPTION: "distinct" if distinct else "repeating"}))


def as_id_set(condition: ColumnElement[bool] | None) -> IdSet | None:
    """The marked id set `condition` is, if it is one."""
    if not isinstance(condition, BinaryExpression) or condition.operator is not operators.in_op:
        return None
    inner = condition.right.element if isinstance(condition.right, ScalarSelect) else None
    mark = inner.get_execution_options().get(_OPTION) if isinstance(inner, Select) else None
    if mark is None:
        return None
    return IdSet(inner, distinct=mark == "distinct")
