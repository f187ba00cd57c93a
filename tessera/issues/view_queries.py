"""The reads of an issue's view, defined once as Core selects parameterised by which issues:
tessera.issues.views runs them for any number of issues (expanding IN lists), and the
PostgreSQL transition statement (tessera.issues.sql.transition) embeds the same selects for its
one issue, so both read the same rows in the same shapes."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Date,
    Float,
    Select,
    String,
    Text,
    cast,
    literal,
    null,
    select,
    union_all,
)

from tessera.issues.models import CustomFieldValue, Issue, IssueComponent, IssueLabel, IssueLink, IssueVersion
from tessera.projects.models import Component, Version
from tessera.tenancy.models import User

# Given an id column, the condition that it names one of the issues (or users) read.
Among = Callable[[ColumnElement[int]], ColumnElement[bool]]


def _none(kind):  # type: ignore[no-untyped-def]
    return cast(null(), kind)


def _kind(name: str) -> ColumnElement[str]:
    return literal(name, String)


FACET_COLUMNS = ("issue_id", "kind", "ref", "ref2", "text", "number", "day", "flag")
LINKED_COLUMNS = ("kind", "id", "a", "b", "c", "key", "summary")


def _named(names: tuple[str, ...], *columns: ColumnElement) -> Select:
    """A select whose columns carry the union's names, so that a subquery of it names each one."""
    return select(*(column.label(name) for name, column in zip(names, columns, strict=True)))


FACET_KINDS = frozenset({"label", "component", "version", "value"})


def facets_select(*, org: ColumnElement[int], issue_among: Among,
                  kinds: frozenset[str] = FACET_KINDS) -> CompoundSelect | Select:
    """Labels, components, versions and custom field values in one round trip (of `kinds`,
    those a caller shows: a search page asking for components reads no labels). Columns:
    (issue_id, kind, ref, ref2, text, number, day, flag); `kind` says which slots mean what."""
    branches = []
    if "label" in kinds:
        branches.append(_named(FACET_COLUMNS, IssueLabel.issue_id, _kind("label"), _none(BigInteger),
                               _none(BigInteger), IssueLabel.label, _none(Float), _none(Date), _none(Boolean))
                        .where(IssueLabel.organization_id == org, issue_among(IssueLabel.issue_id)))
    if "component" in kinds:
        branches.append(_named(FACET_COLUMNS, IssueComponent.issue_id, _kind("component"), Component.id,
                               _none(BigInteger), Component.name, _none(Float), _none(Date), _none(Boolean))
                        .join(Component, Component.id == IssueComponent.component_id)
                        .where(IssueComponent.organization_id == org, issue_among(IssueComponent.issue_id)))
    if "version" in kinds:
        branches.append(_named(FACET_COLUMNS, IssueVersion.issue_id, IssueVersion.kind, Version.id, _none(BigInteger),
                               Version.name, _none(Float), _none(Date), Version.released)
                        .join(Version, Version.id == IssueVersion.version_id)
                        .where(IssueVersion.organization_id == org, issue_among(IssueVersion.issue_id)))
    if "value" in kinds:
        branches.append(_named(FACET_COLUMNS, CustomFieldValue.issue_id, _kind("value"), CustomFieldValue.field_id,
                               CustomFieldValue.value_ref, CustomFieldValue.value_text, CustomFieldValue.value_number,
                               CustomFieldValue.value_date, _none(Boolean))
                        .where(CustomFieldValue.organization_id == org, issue_among(CustomFieldValue.issue_id)))
    assert branches, "facets_select needs at least one kind"
    return union_all(*branches) if len(branches) > 1 else branches[0]


def _brief_columns():  # type: ignore[no-untyped-def]
    return (_kind("issue"), Issue.id, Issue.status_id, Issue.issue_type_id, Issue.parent_id, Issue.key,
            Issue.summary)


def linked_select(*, org: ColumnElement[int], issue_among: Among, related_among: Among) -> CompoundSelect:
    """Links, and the issues a view names in brief (sub-tasks, the `related` issues such as
    parents, the other ends of links), in one round trip. Columns: (kind, id, a, b, c, key,
    summary): a link is (id, link type, source, target), an issue (id, status, issue type,
    parent, key, summary). An issue may come more than once; a link comes once.

    Each branch is one index lookup: an OR across two columns (source or target, parent or id)
    defeats both indexes on SQLite, which then walks the whole organization (issue 16), so links
    by source and by target, sub-tasks by parent and issues by id are branches of their own."""
    def link_columns() -> Select:
        return _named(LINKED_COLUMNS, _kind("link"), IssueLink.id, IssueLink.link_type_id, IssueLink.source_issue_id,
                      IssueLink.target_issue_id, _none(Text), _none(Text))

    return union_all(
        link_columns().where(IssueLink.organization_id == org, issue_among(IssueLink.source_issue_id)),
        # A link between two of the issues was read by source already.
        link_columns().where(IssueLink.organization_id == org, issue_among(IssueLink.target_issue_id),
                             ~issue_among(IssueLink.source_issue_id)),
        _named(LINKED_COLUMNS, *_brief_columns()).where(Issue.organization_id == org, issue_among(Issue.parent_id)),
        _named(LINKED_COLUMNS, *_brief_columns()).where(Issue.organization_id == org, related_among(Issue.id)),
        _named(LINKED_COLUMNS, *_brief_columns()).join(IssueLink, IssueLink.target_issue_id == Issue.id)
        .where(IssueLink.organization_id == org, issue_among(IssueLink.source_issue_id),
               Issue.organization_id == org),
        _named(LINKED_COLUMNS, *_brief_columns()).join(IssueLink, IssueLink.source_issue_id == Issue.id)
        .where(IssueLink.organization_id == org, issue_among(IssueLink.target_issue_id),
               Issue.organization_id == org),
    )


def users_select(*, org: ColumnElement[int], user_among: Among) -> Select:
    """Users as views show them: (id, display_name, email, active)."""
    return select(User.id, User.display_name, User.email, User.active).where(
        User.organization_id == org, user_among(User.id))
