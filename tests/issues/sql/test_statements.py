"""The write path's PostgreSQL statements as built: their parameters survive being rendered to
text, they are built once per shape, and the transition reads the view's own selects. What
they write is exercised on PostgreSQL by tests/api/rest/test_issues.py, test_workflows.py and
tests/test_workflow_concurrency.py."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, bindparam, literal, select
from sqlalchemy.dialects.postgresql import asyncpg

from tessera.issues.sql.creation import CREATE_ISSUE, ISSUE_COLUMNS, issue_parameters
from tessera.issues.sql.frozen import frozen
from tessera.issues.sql.history import CHANGE_ITEM_FIELDS, RECORD_CHANGE
from tessera.issues.sql.transition import transition_change
from tessera.issues.view_queries import facets_select, linked_select

ASYNCPG = asyncpg.dialect()


def _parameter_names(statement) -> set[str]:  # type: ignore[no-untyped-def]
    return {bind.key for bind in statement._bindparams.values() if bind.required}


def test_frozen_keeps_parameters_typed_and_writes_constants_in() -> None:
    statement = frozen(select(bindparam("org", type_=BigInteger), literal("label"), literal(19)))
    assert list(statement._bindparams) == ["org"]
    assert isinstance(statement._bindparams["org"].type, BigInteger)
    assert "'label'" in statement.text and "19" in statement.text
    assert "$1::BIGINT" in str(statement.compile(dialect=ASYNCPG))


def test_frozen_refuses_a_constant_that_would_read_as_a_parameter() -> None:
    with pytest.raises(ValueError, match="colon"):
        frozen(select(literal("a:b")))


def test_create_takes_the_issue_columns_under_their_own_names() -> None:
    values = {name: index for index, name in enumerate(ISSUE_COLUMNS)}
    assert set(issue_parameters(values)) == {f"issue_{name}" for name in ISSUE_COLUMNS}
    assert _parameter_names(CREATE_ISSUE) == {
        "org", "project", "actor", "now", "key_prefix", "rank_prefix", "labels", "watchers", "timestamp",
        *issue_parameters(values)}


def test_record_change_takes_one_array_per_item_field_and_the_events() -> None:
    assert _parameter_names(RECORD_CHANGE) == {
        "org", "issue", "author", "at", *(f"{name}s" for name in CHANGE_ITEM_FIELDS), "event_types", "payloads"}


def test_transition_is_built_once_per_set_of_columns() -> None:
    columns = frozenset({"status_id", "assignee_id"})
    assert transition_change(columns) is transition_change(frozenset(columns))
    assert _parameter_names(transition_change(columns)) >= {
        "status_id", "assignee_id", "updated_at", "w_id", "w_org", "w_version", "w_status", "author", "parent",
        "user_ids", "event_types", "payloads"}


@pytest.mark.parametrize("columns", [frozenset(), frozenset({"status_id", "no_such_column"})])
def test_transition_refuses_what_is_not_a_column(columns: frozenset[str]) -> None:
    with pytest.raises(ValueError, match="not columns of issues"):
        transition_change(columns)


def test_transition_reads_the_views_own_selects() -> None:
    sql = transition_change(frozenset({"status_id"})).text
    issue = bindparam("w_id", type_=BigInteger)
    org = bindparam("w_org", type_=BigInteger)
    parent = bindparam("parent", type_=BigInteger)
    for view_select in (facets_select(org=org, issue_among=lambda column: column == issue),
                        linked_select(org=org, issue_among=lambda column: column == issue,
                                      related_among=lambda column: column == parent)):
        assert frozen(view_select).text in sql
