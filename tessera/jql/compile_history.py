"""WAS / WAS NOT / WAS IN / CHANGED for compile.py, over change_items.

A field's values over time are its initial value (the first change item's from_value, or the
current value when the field never changed) and then each item's to_value. `WAS v` matches an
issue that held v at some moment in the predicates' window: set to v inside the window, held v
when the window opened, or was created inside the window with v. With BY, only changes made by
those users count. WAS NOT is the complement of WAS with the same predicates.

fixVersion is multi-valued (one item per version added or removed): it WAS v when it has v now
or any item added or removed v inside the window (an approximation of "held at some moment").

Status, priority, resolution, assignee and reporter are answered from issue_value_spans (one
row per value held, with its interval, from each issue's creation on), so WAS is a range of one
index whatever the window: a span of v that overlaps the window, or with BY one that those
users started inside it; without a window, each issue's first span of v.
Set-valued conditions are `issues.id IN (uncorrelated subquery)`: a semi-join when they stand
alone, one hashed set under OR and NOT, never a probe per issue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, exists, false, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from tessera.db.refs import parse_decimal, parse_signed_int
from tessera.issues.models import ChangeItem, CustomFieldValue, Issue, IssueVersion
from tessera.jql.id_sets import in_id_set
from tessera.jql.models import IssueValueSpan
from tessera.jql.plan import Term
from tessera.jql.value_spans import SPAN_FIELDS

Condition = ColumnElement[bool]


def _matches(expression, values: list[str], empty: bool) -> Condition:  # type: ignore[no-untyped-def]
    parts: list[Condition] = []
    if values:
        parts.append(and_(expression.isnot(None), expression.in_(values)))
    if empty:
        parts.append(expression.is_(None))
    return or_(*parts) if parts else false()


def _ints(values: list[str]) -> list[int]:
    """The values that are stored ints (ids); any other text matches nothing in an id column."""
    return [number for number in map(parse_signed_int, values) if number is not None]


def _current_matches(term: Term, organization_id: int) -> Condition:
    field, values, empty = term.field, [str(v) for v in term.values], term.empty
    if field.column is not None:
        return _matches(getattr(Issue, field.column), _ints(values), empty)  # type: ignore[arg-type]
    if field.kind == "fixversion":
        mine = (IssueVersion.organization_id == organization_id, IssueVersion.issue_id == Issue.id,
                IssueVersion.kind == "fix")
        any_row = exists().where(*mine)
        parts = [exists().where(*mine, IssueVersion.version_id.in_(_ints(values)))] if values else []
        return or_(*parts, *([not_(any_row)] if empty else [])) if parts or empty else false()
    kind = field.custom_type
    column, typed = CustomFieldValue.value_ref, list(_ints(values))
    if kind == "number":
        column, typed = CustomFieldValue.value_number, [n for n in map(parse_decimal, values) if n is not None]
    elif kind == "date":
        column, typed = CustomFieldValue.value_date, [date.fromisoformat(v[:10]) for v in values]
    elif kind == "text":
        column, typed = CustomFieldValue.value_text, list(values)
    base = (CustomFieldValue.organization_id == organization_id, CustomFieldValue.issue_id == Issue.id,
            CustomFieldValue.field_id == field.custom_id)
    parts = [exists().where(*base, column.in_(typed))] if typed else []
    if empty:
        parts.append(not_(exists().where(*base)))
    return or_(*parts) if parts else false()


def _window(term: Term):  # type: ignore[no-untyped-def]
    """(start, start inclusive, end, end inclusive, author ids or None)."""
    start = end = None
    start_inclusive = end_inclusive = True
    authors: list[int] | None = None
    for predicate in term.predicates:
        if predicate.kind == "by":
            authors = [int(v) for v in predicate.values]  # type: ignore[call-overload]
        if predicate.start is not None and (start is None or predicate.start >= start):
            start, start_inclusive = predicate.start, predicate.kind != "after"
        if predicate.end is not None and (end is None or predicate.end <= end):
            end, end_inclusive = predicate.end, predicate.kind != "before"
    return start, start_inclusive, end, end_inclusive, authors


def _within(column, start, start_inclusive, end, end_inclusive) -> list[Condition]:  # type: ignore[no-untyped-def]
    conditions: list[Condition] = []
    if start is not None:
        conditions.append(column >= start if start_inclusive else column > start)
    if end is not None:
        conditions.append(column <= end if end_inclusive else column < end)
    return conditions


def _was_from_spans(term: Term, organization_id: int) -> Condition:
    span = IssueValueSpan
    start, start_inclusive, end, end_inclusive, authors = _window(term)
    values = [str(v) for v in term.values]
    conditions = [span.organization_id == organization_id, span.field_id == term.field.history_id,
                  _matches(span.value, values, term.empty)]
    if authors is not None:  # changes to v by those users, inside the window
        conditions += [span.set_by.in_(authors), *_within(span.started_at, start, start_inclusive, end, end_inclusive)]
    elif start is None and end is None:  # ever held v: each issue's first span of v is enough
        conditions.append(span.first_held.is_(true()))
    else:  # v held at some moment of the window: a change at `start` itself ends the old value then
        if end is not None:
            conditions.append(span.started_at <= end if end_inclusive else span.started_at < end)
        if start is not None:
            conditions.append(or_(span.ended_at.is_(None), span.ended_at > start))
    one_per_issue = authors is None and start is None and end is None and len(values) + term.empty == 1
    held = in_id_set(select(span.issue_id).where(*conditions), distinct=one_per_issue)
    return not_(held) if term.op == "was_not" else held


def history_condition(term: Term, *, organization_id: int) -> Condition:
    item = ChangeItem
    if term.op != "changed" and term.field.history_id in SPAN_FIELDS:
        return _was_from_spans(term, organization_id)
    base = (item.organization_id == organization_id, item.issue_id == Issue.id, item.field_id == term.field.history_id)
    start, start_inclusive, end, end_inclusive, authors = _window(term)
    window = _within(item.created_at, start, start_inclusive, end, end_inclusive)
    by = [item.author_id.in_(authors)] if authors is not None else []
    if term.op == "changed":
        conditions = [item.organization_id == organization_id, item.field_id == term.field.history_id, *window, *by]
        for predicate in term.predicates:
            if predicate.kind in ("from", "to"):
                column = item.from_value if predicate.kind == "from" else item.to_value
                conditions.append(_matches(column, [str(v) for v in predicate.values], predicate.empty))
        return in_id_set(select(item.issue_id).where(*conditions))
    values = [str(v) for v in term.values]
    set_inside = exists().where(*base, *window, *by, _matches(item.to_value, values, term.empty))
    if term.field.kind == "fixversion":
        removed_inside = exists().where(*base, *window, *by, _matches(item.from_value, values, False))
        parts = [set_inside, removed_inside]
        if authors is None:
            parts.append(_current_matches(term, organization_id))
        result = or_(*parts)
        return not_(result) if term.op == "was_not" else result
    if not term.predicates:
        # No window and no BY: the values an issue ever held are its current one and every
        # from/to of its changes, so one correlated probe of (organization, field, issue)
        # replaces the per-issue reconstruction below. (A semi-join `id IN (…)` under the OR
        # would be a non-hashed subplan on PostgreSQL once the subquery outgrows work_mem.)
        ever = exists().where(*base, or_(_matches(item.from_value, values, term.empty),
                                         _matches(item.to_value, values, term.empty)))
        result = or_(_current_matches(term, organization_id), ever)
        return not_(result) if term.op == "was_not" else result
    parts = [set_inside]
    if authors is None:
        any_change = exists().where(*base)
        first_from = select(item.from_value).where(*base).order_by(item.created_at, item.id).limit(1).scalar_subquery()
        initial = case((any_change, _matches(first_from, values, term.empty)),
                       else_=_current_matches(term, organization_id))
        parts.append(and_(initial, *_within(Issue.created_at, start, True, end, end_inclusive)))
        if start is not None:
            changed_before = exists().where(*base, item.created_at <= start)
            value_then = select(item.to_value).where(*base, item.created_at <= start).order_by(
                item.created_at.desc(), item.id.desc()).limit(1).scalar_subquery()
            held_then = case((changed_before, _matches(value_then, values, term.empty)), else_=initial)
            parts.append(and_(Issue.created_at <= start, held_then))
    result = or_(*parts)
    return not_(result) if term.op == "was_not" else result
