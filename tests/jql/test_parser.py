"""The parser's size limits: checked on the parse tree before anything recursive sees the query,
each error naming the limit and where it was passed."""

from __future__ import annotations

import pytest

from tessera.jql import ast
from tessera.jql.parser import MAX_CLAUSES, MAX_NESTING, MAX_QUERY_LENGTH, JqlSyntaxError, parse


def clauses(count: int, joiner: str = "AND") -> str:
    return f" {joiner} ".join(f"labels = l{i}" for i in range(count))


@pytest.mark.parametrize("joiner", ["AND", "OR"])
def test_a_chain_at_the_clause_limit_parses_flat(joiner: str) -> None:
    where = parse(clauses(MAX_CLAUSES, joiner)).where
    assert isinstance(where, ast.And if joiner == "AND" else ast.Or)
    assert len(where.items) == MAX_CLAUSES


def test_one_clause_more_is_refused_where_it_starts() -> None:
    text = clauses(MAX_CLAUSES + 1)
    with pytest.raises(JqlSyntaxError) as refused:
        parse(text)
    assert refused.value.message.startswith(f"Error in the JQL Query: The query has more than the limit of "
                                            f"{MAX_CLAUSES} clauses.")
    assert (refused.value.line, refused.value.column) == (1, text.rindex("labels") + 1)
    assert refused.value.status == 400 and refused.value.field == "jql"


@pytest.mark.parametrize("shape", [
    lambda n: "NOT " * n + "a = b",
    lambda n: "(" * n + "a = b" + ")" * n,
    lambda n: "a in " + "(" * n + "b" + ")" * n,
    lambda n: "a = " + "f(" * n + ")" * n,
    lambda n: "NOT (a = b OR " * (n // 2) + "c = d" + ")" * (n // 2),
], ids=["not", "parentheses", "value-lists", "functions", "not-and-parentheses"])
def test_nesting_up_to_the_limit_parses_and_one_level_more_is_refused(shape) -> None:  # type: ignore[no-untyped-def]
    parse(shape(MAX_NESTING))
    deeper = shape(MAX_NESTING + 2)
    with pytest.raises(JqlSyntaxError) as refused:
        parse(deeper)
    assert f"deeper than the limit of {MAX_NESTING} levels" in refused.value.message
    assert refused.value.line == 1 and 1 < refused.value.column < len(deeper)


@pytest.mark.parametrize("text", ["(" * 1000 + "a = b" + ")" * 1000, "NOT " * 4000 + "a = b",
                                  "a in " + "(" * 5000 + "b" + ")" * 5000])
def test_far_deeper_nesting_is_refused_without_recursion(text: str) -> None:
    with pytest.raises(JqlSyntaxError, match="deeper than the limit"):
        parse(text)


def test_the_length_limit_points_at_the_first_character_beyond_it() -> None:
    text = "summary ~ x\nOR " + "a" * MAX_QUERY_LENGTH
    with pytest.raises(JqlSyntaxError) as refused:
        parse(text)
    assert f"longer than the limit of {MAX_QUERY_LENGTH} characters" in refused.value.message
    assert (refused.value.line, refused.value.column) == (2, MAX_QUERY_LENGTH - 12 + 1)
