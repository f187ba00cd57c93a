"""Plan → SQLAlchemy Core: a WHERE condition over `issues` and an ORDER BY list. The only JQL
module that writes SQL (with its helpers for text search, history and development facts).

Every leaf condition is two-valued (never SQL NULL), so NOT is the plain complement of a clause
within the searchable issues. `!=` and NOT IN never match an empty value; on multi-valued
fields `= x` means "has x" and `!= x` "has values, none of them x"; IS EMPTY means no row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, false, func, literal, not_, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement, Grouping

from tessera.agile.models import IssueRank
from tessera.issues.attachments.models import Attachment
from tessera.issues.models import (
    ChangeGroup,
    CustomFieldValue,
    Issue,
    IssueComponent,
    IssueLabel,
    IssueLink,
    IssueVersion,
)
from tessera.issues.remote_links.models import RemoteLink
from tessera.issues.watchers.models import IssueVote, IssueWatcher
from tessera.issues.worklogs.models import Worklog
from tessera.jql.compile_development import development_condition
from tessera.jql.compile_history import history_condition
from tessera.jql.compile_text import CommentReader, plain_text_match, text_match
from tessera.jql.id_sets import in_id_set
from tessera.jql.plan import (
    AllOf,
    AnyOf,
    IssueSet,
    KeyBound,
    Negation,
    Node,
    Plan,
    SortSpec,
    Term,
)
from tessera.projects.models import CustomFieldDefinition, IssueType, Project
from tessera.tenancy.models import User

# Agile owns ranking; JQL only sorts by the rank (an explicit import-linter exception).
_RANKS = IssueRank.__table__

Condition = ColumnElement[bool]
_COMPARE = {"lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}
_CUSTOM_COLUMN = {"number": CustomFieldValue.value_number, "date": CustomFieldValue.value_date,
                  "text": CustomFieldValue.value_text}


# SQL parses `a AND b AND c …` as a chain nested once per operator, and SQLite refuses an
# expression nested deeper than 1000 ("Expression tree is too large"). Long chains are therefore
# written as parenthesized groups of at most _GROUP items, nested again as needed, so a chain of
# n items nests about _GROUP·log(n)/log(_GROUP) deep instead of n.
_GROUP = 16
_PULLED_UP = 8


class _Parenthesized(Grouping[bool]):
    """A group and_()/or_() keep: a plain Grouping forwards `operator` to the chain it wraps, so
    and_() would flatten it straight back into its own chain."""

    inherit_cache = True
    operator = None


def _chain(combine: Callable[..., Condition], parts: list[Condition]) -> Condition:
    while len(parts) > _GROUP:
        parts = [_Parenthesized(combine(*parts[start:start + _GROUP])) for start in range(0, len(parts), _GROUP)]
    return combine(*parts)


def _all(parts: list[Condition]) -> Condition:
    return _chain(and_, parts) if parts else true()


def _any(parts: list[Condition]) -> Condition:
    return _chain(or_, parts) if parts else false()


def _work_ratio():  # type: ignore[no-untyped-def]
    """Jira's workRatio: time spent as a whole percentage of the original estimate (NULL, i.e.
    empty, without an estimate)."""
    spent = func.coalesce(Issue.time_spent, 0)
    return case((Issue.original_estimate > 0, spent * 100 / Issue.original_estimate), else_=None)


def _day(value: object) -> object:
    return value.date() if isinstance(value, datetime) else value


class Compiler:
    def __init__(self, *, organization_id: int, dialect: str, reader: CommentReader | None = None) -> None:
        self.org = organization_id
        self.dialect = dialect
        self.reader = reader

    # -- the tree ---------------------------------------------------------------------------

    def where(self, node: Node) -> Condition:
        if isinstance(node, AllOf):
            parts = [self.where(item) for item in node.items]
            if self.dialect == "postgresql" and len(parts) > _PULLED_UP:
                # PostgreSQL turns each IN/EXISTS subquery of a top-level AND into a join and plans
                # them all together: 100 of them took 18 s to plan. Beyond the first few, `IS TRUE`
                # keeps a subquery a (hashed) subplan, planned once on its own.
                parts = parts[:_PULLED_UP] + [part.is_(true()) for part in parts[_PULLED_UP:]]
            return _all(parts)
        if isinstance(node, AnyOf):
            return _any([self.where(item) for item in node.items])
        if isinstance(node, Negation):
            return not_(self.where(node.item))
        return self.term(node)

    def term(self, term: Term) -> Condition:
        field, op = term.field, term.op
        if op in ("was", "was_not", "changed"):
            return history_condition(term, organization_id=self.org)
        if field.fact is not None:
            return development_condition(term, organization_id=self.org)
        kind = field.custom_type if field.kind == "custom" else field.kind
        if field.kind in ("epicname", "epicstatus"):
            return self._epic_field(term)
        if field.kind == "parentepic":
            return self._parent_epic(term)
        if op in ("match", "no_match"):
            text = str(term.values[0])
            if field.kind == "custom":
                condition = self._exists_custom(term, plain_text_match(CustomFieldValue.value_text, text))
            elif field.kind == "worklogcomment":
                condition = self._child(Worklog, [], plain_text_match(Worklog.comment, text))
            else:
                condition = text_match(field.kind, text, organization_id=self.org, dialect=self.dialect,
                                       reader=self.reader)
            return condition if op == "match" else not_(condition)
        if field.kind in ("votes", "watchers"):
            return self._column(term, self._how_many(field.kind), False)
        if field.kind == "workratio":
            return self._column(term, _work_ratio(), False)
        if field.column is not None and field.kind not in ("summary", "description"):
            return self._column(term, getattr(Issue, field.column), kind == "date")
        if field.kind in ("summary", "description"):
            column = getattr(Issue, field.column or "summary")
            blank = or_(column.is_(None), column == "")
            return blank if op == "empty" else not_(blank)
        if field.kind == "key":
            return self._key(term)
        return self._multi(term, self._exists_for(term))

    # -- Jira Software's epic fields over the parent relation -----------------------------------

    def _is_epic(self) -> Condition:
        return Issue.issue_type_id.in_(select(IssueType.id).where(IssueType.organization_id == self.org,
                                                                  IssueType.hierarchy_level > 0))

    def _epic_field(self, term: Term) -> Condition:
        """Epic Name (the epic's summary) and Epic Status (its status category; values are the
        category's statuses): only epics have them, so EMPTY means "not an epic"."""
        op = term.op
        if op == "empty":
            return not_(self._is_epic())
        if op == "not_empty":
            return self._is_epic()
        if op in ("match", "no_match"):
            matched = text_match("summary", str(term.values[0]), organization_id=self.org, dialect=self.dialect,
                                 reader=self.reader)
            return and_(self._is_epic(), matched if op == "match" else not_(matched))
        in_statuses = Issue.status_id.in_(list(term.values)) if term.values else false()
        return and_(self._is_epic(), in_statuses if op == "in" else not_(in_statuses))

    def _parent_epic(self, term: Term) -> Condition:
        """parentEpic: the named issues, their children and their children's sub-tasks."""
        ids = list(term.values)
        child = aliased(Issue)
        children = select(child.id).where(child.organization_id == self.org, child.parent_id.in_(ids))
        has_parent = Issue.parent_id.isnot(None)  # keeps the leaf two-valued under NOT
        matched = or_(Issue.id.in_(ids), and_(has_parent, or_(Issue.parent_id.in_(ids), Issue.parent_id.in_(children)))
                      ) if ids else false()
        return matched if term.op == "in" else not_(matched)

    # -- single-valued columns ----------------------------------------------------------------

    def _column(self, term: Term, column, is_date: bool) -> Condition:  # type: ignore[no-untyped-def]
        op = term.op
        values = [_day(v) for v in term.values] if is_date else list(term.values)
        if op == "empty":
            return column.is_(None)
        if op == "not_empty":
            return column.isnot(None)
        if op == "in":
            parts = [and_(column.isnot(None), column.in_(values))] if values else []
            if term.empty:
                parts.append(column.is_(None))
            return _any(parts)
        if op == "not_in":
            return and_(column.isnot(None), column.notin_(values)) if values else column.isnot(None)
        return and_(column.isnot(None), getattr(column, _COMPARE[op])(values[0]))

    def _how_many(self, kind: str):  # type: ignore[no-untyped-def]
        """Votes or watchers of the issue: never NULL, so comparisons stay two-valued; the
        primary key serves the count."""
        model = IssueVote if kind == "votes" else IssueWatcher
        return select(func.count()).select_from(model).where(
            model.organization_id == self.org, model.issue_id == Issue.id).scalar_subquery()

    # -- issue keys and issue functions ------------------------------------------------------

    def issue_set(self, issue_set: IssueSet) -> Condition:
        if issue_set.kind == "linked":
            link = IssueLink
            outward = [t for t, d in issue_set.links if d in ("out", "any")]
            inward = [t for t, d in issue_set.links if d in ("in", "any")]
            source_side = and_(link.source_issue_id == issue_set.issue_id, link.target_issue_id == Issue.id)
            target_side = and_(link.target_issue_id == issue_set.issue_id, link.source_issue_id == Issue.id)
            if issue_set.links:
                source_side = and_(source_side, link.link_type_id.in_(outward)) if outward else false()
                target_side = and_(target_side, link.link_type_id.in_(inward)) if inward else false()
            return exists().where(link.organization_id == self.org, or_(source_side, target_side))
        if issue_set.kind == "updated_by":
            conditions = [ChangeGroup.organization_id == self.org, ChangeGroup.issue_id == Issue.id,
                          ChangeGroup.author_id.in_(list(issue_set.user_ids))]
            if issue_set.start is not None:
                conditions.append(ChangeGroup.created_at >= issue_set.start)
            if issue_set.end is not None:
                conditions.append(ChangeGroup.created_at <= issue_set.end)
            return exists().where(*conditions)
        if issue_set.kind == "remote_links":
            return in_id_set(select(RemoteLink.issue_id).where(RemoteLink.organization_id == self.org,
                                                               RemoteLink.global_id.in_(list(issue_set.global_ids))))
        if issue_set.kind in ("watched", "voted"):
            model = IssueWatcher if issue_set.kind == "watched" else IssueVote
            return exists().where(model.organization_id == self.org, model.issue_id == Issue.id,
                                  model.user_id.in_(list(issue_set.user_ids)))
        return false()

    def _key(self, term: Term) -> Condition:
        op = term.op
        if op in _COMPARE:
            bound = term.values[0]
            assert isinstance(bound, KeyBound)
            return and_(Issue.project_id == bound.project_id, getattr(Issue.number, _COMPARE[op])(bound.number))
        parts = [Issue.id.in_(list(term.values))] if term.values else []
        parts += [self.issue_set(s) for s in term.sets]
        matched = _any(parts)
        return matched if op == "in" else not_(matched)

    # -- multi-valued fields: EXISTS over a child table -----------------------------------------

    def _child(self, model, extra: list, condition: Condition | None) -> Condition:  # type: ignore[no-untyped-def]
        """Issues with a row in a multi-valued field's table (matching `condition` if given). A
        value match is an uncorrelated id set (one index range, hashed or joined once) rather
        than a probe per issue; "has any row" stays a correlated EXISTS, one key lookup each."""
        base = [model.organization_id == self.org, *extra]
        if condition is None:
            return exists().where(*base, model.issue_id == Issue.id)
        return in_id_set(select(model.issue_id).where(*base, condition))

    def _exists_for(self, term: Term) -> Callable[[Condition | None], Condition]:
        kind, org = term.field.kind, self.org
        if kind == "labels":
            return lambda c: self._child(IssueLabel, [], c)
        if kind == "component":
            return lambda c: self._child(IssueComponent, [], c)
        if kind in ("fixversion", "affectedversion"):
            version_kind = "fix" if kind == "fixversion" else "affected"
            return lambda c: self._child(IssueVersion, [IssueVersion.kind == version_kind], c)
        if kind == "linktype":
            return self._link_exists
        if kind == "watcher":
            return lambda c: self._child(IssueWatcher, [], c)
        if kind == "voter":
            return lambda c: self._child(IssueVote, [], c)
        if kind in ("worklogauthor", "worklogdate"):
            return lambda c: self._child(Worklog, [], c)
        if kind == "attachments":
            return lambda c: self._child(Attachment, [], c)
        if kind == "sprint":
            sprint_fields = select(CustomFieldDefinition.id).where(
                CustomFieldDefinition.organization_id == org, CustomFieldDefinition.field_type == "sprint")
            return lambda c: self._child(CustomFieldValue, [CustomFieldValue.field_id.in_(sprint_fields)], c)
        return lambda c: self._exists_custom(term, c)

    def _exists_custom(self, term: Term, condition: Condition | None) -> Condition:
        return self._child(CustomFieldValue, [CustomFieldValue.field_id == term.field.custom_id], condition)

    def _value_column(self, term: Term):  # type: ignore[no-untyped-def]
        kind = term.field.kind
        if kind == "labels":
            return IssueLabel.label
        if kind == "component":
            return IssueComponent.component_id
        if kind in ("fixversion", "affectedversion"):
            return IssueVersion.version_id
        if kind == "watcher":
            return IssueWatcher.user_id
        if kind == "voter":
            return IssueVote.user_id
        if kind == "worklogauthor":
            return Worklog.author_id
        if kind == "worklogdate":
            return Worklog.started_at
        return _CUSTOM_COLUMN.get(term.field.custom_type or "", CustomFieldValue.value_ref)

    def _link_exists(self, condition: Condition | None) -> Condition:
        return exists().where(IssueLink.organization_id == self.org,
                              or_(IssueLink.source_issue_id == Issue.id, IssueLink.target_issue_id == Issue.id),
                              *([condition] if condition is not None else []))

    def _link_values(self, values: list) -> Condition:  # type: ignore[type-arg]
        parts = []
        for type_id, direction in values:
            side = {"out": IssueLink.source_issue_id == Issue.id, "in": IssueLink.target_issue_id == Issue.id}
            parts.append(and_(IssueLink.link_type_id == type_id, side.get(direction, true())))
        return _any(parts)

    def _multi(self, term: Term, exists_for: Callable[[Condition | None], Condition]) -> Condition:
        op = term.op
        is_date = term.field.custom_type == "date"
        values = [_day(v) for v in term.values] if is_date else list(term.values)
        if term.field.kind == "linktype":
            match = self._link_values(values) if values else None
        else:
            column = self._value_column(term)
            match = column.in_(values) if values else None
            if term.field.kind == "worklogdate" and values:  # `= "2026-01-05"`: work logged that day
                match = or_(*[and_(column >= day, column < day + timedelta(days=1)) for day in values])
            if op in _COMPARE:
                return exists_for(getattr(column, _COMPARE[op])(values[0]))
        if op == "empty":
            return not_(exists_for(None))
        if op == "not_empty":
            return exists_for(None)
        if op == "in":
            parts = [exists_for(match)] if match is not None else []
            if term.empty:
                parts.append(not_(exists_for(None)))
            return _any(parts)
        if match is None:
            return exists_for(None)
        return and_(exists_for(None), not_(exists_for(match)))

    # -- ORDER BY ---------------------------------------------------------------------------

    def order_by(self, plan: Plan) -> list:  # type: ignore[type-arg]
        clauses = []
        for spec in plan.order:
            reverse = self._ranks_reverse_ids(spec, plan.ranks)
            for expression in self._sort_expressions(spec, plan.ranks):
                descending = spec.descending != (reverse is True)
                ordered = expression.desc() if descending else expression.asc()
                if getattr(expression, "nullable", True) is False:
                    clauses.append(ordered)  # no empties to place, and an index can give the order
                else:
                    clauses.append(ordered.nulls_first() if spec.descending else ordered.nulls_last())
        clauses.append(Issue.id.asc())
        return clauses

    @staticmethod
    def _ranks_reverse_ids(spec: SortSpec, ranks: dict[str, dict[int, int]]) -> bool | None:
        """For a catalog field whose sort ranks follow its ids (priorities made in order of
        importance, say): whether they run against them; None when they do not follow them."""
        mapping = ranks.get(spec.field.kind)
        if not mapping or spec.field.kind == "statuscategory":
            return None
        ordered = [mapping[key] for key in sorted(mapping)]
        if all(a < b for a, b in zip(ordered, ordered[1:], strict=False)):
            return False
        if all(a > b for a, b in zip(ordered, ordered[1:], strict=False)):
            return True
        return None

    def _sort_expressions(self, spec: SortSpec, ranks: dict[str, dict[int, int]]) -> list:  # type: ignore[type-arg]
        field = spec.field
        kind = field.kind
        if kind in ("priority", "status", "issuetype", "resolution", "statuscategory"):
            mapping = ranks.get(kind, {})
            column = getattr(Issue, field.column or "status_id")
            if self._ranks_reverse_ids(spec, ranks) is not None:
                # The column itself sorts as the ranks do, and an index on it can give the order.
                return [column]
            return [case(mapping, value=column, else_=None) if mapping else literal(0)]
        if kind == "project":
            return [select(func.lower(Project.key)).where(Project.id == Issue.project_id).scalar_subquery()]
        if kind == "key":
            return [select(func.lower(Project.key)).where(Project.id == Issue.project_id).scalar_subquery(),
                    Issue.number]
        if kind == "user":
            return [select(func.lower(User.display_name)).where(
                User.id == getattr(Issue, field.column or "assignee_id")).scalar_subquery()]
        if kind == "summary":
            return [func.lower(Issue.summary)]
        if kind in ("votes", "watchers"):
            return [self._how_many(kind)]
        if kind == "workratio":
            return [_work_ratio()]
        if kind == "rank":  # ranked issues by rank, then the unranked oldest first (tessera.agile.ranking)
            return [select(_RANKS.c.rank).where(_RANKS.c.organization_id == self.org,
                                                _RANKS.c.issue_id == Issue.id).scalar_subquery(), Issue.created_at]
        if kind == "custom":
            column = _CUSTOM_COLUMN.get(field.custom_type or "", CustomFieldValue.value_ref)
            value = func.lower(column) if field.custom_type == "text" else column
            return [select(func.min(value)).where(
                CustomFieldValue.organization_id == self.org, CustomFieldValue.issue_id == Issue.id,
                CustomFieldValue.field_id == field.custom_id).scalar_subquery()]
        if field.column is not None:
            return [getattr(Issue, field.column)]
        return []


def compile_to_sql(plan: Plan, *, organization_id: int, dialect: str, reader: CommentReader | None = None
                   ) -> tuple[Condition | None, list]:  # type: ignore[type-arg]
    """(WHERE condition or None for "every issue", ORDER BY clauses ending with issues.id).
    `reader` decides which restricted comments `comment ~` and `text ~` may match."""
    compiler = Compiler(organization_id=organization_id, dialect=dialect, reader=reader)
    where = compiler.where(plan.where) if plan.where is not None else None
    return where, compiler.order_by(plan)



def compile_alternatives(plan: Plan, *, organization_id: int, dialect: str, reader: CommentReader | None = None
                         ) -> list[Condition] | None:
    """The conditions of a query whose top level is an OR, one per alternative (else None):
    counted as a union of id sets, each alternative can be read from its own index."""
    if not isinstance(plan.where, AnyOf):
        return None
    compiler = Compiler(organization_id=organization_id, dialect=dialect, reader=reader)
    return [compiler.where(item) for item in plan.where.items]
