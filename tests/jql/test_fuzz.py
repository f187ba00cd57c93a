"""Random strings into the JQL parser and into POST /v2/search: always a query or a 400 that
points inside the text, never any other exception and never a 5xx (issue 4: "never a 500 for
any string"). Derandomized, so a run is repeatable."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.jql import ast
from tessera.jql.parser import MAX_QUERY_LENGTH, JqlSyntaxError, parse
from tests.support import OrgHandle

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
SEARCH_FUZZ = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))

KEYWORDS = ("AND", "OR", "NOT", "and", "Or", "nOt", "&&", "||", "!", "IN", "NOT IN", "IS", "IS NOT", "EMPTY",
            "NULL", "WAS", "WAS NOT", "WAS IN", "WAS NOT IN", "CHANGED", "AFTER", "BEFORE", "DURING", "ON", "BY",
            "FROM", "TO", "ORDER BY", "ORDER", "ASC", "DESC", "order by")
OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "~", "!~", "==", "=!", "<>", "!", "~~", "&", "|")
FIELDS = ("project", "status", "statusCategory", "priority", "assignee", "reporter", "labels", "component",
          "fixVersion", "created", "updated", "due", "duedate", "summary", "text", "key", "issuekey", "id",
          "resolution", "issuetype", "type", "\"Story Points\"", "'Story Points'", "cf[10001]", "cf[]",
          "cf[99999999999999999999]", "parent", "sprint", "watcher", "filter", "foo", "a.b")
FUNCTIONS = ("currentUser()", "membersOf(\"devs\")", "now()", "startOfDay()", "startOfWeek(-1)",
             "endOfMonth(\"+1M\")", "openSprints()", "linkedIssues(ABC-1, blocks)", "updatedBy(x, -1d, now())",
             "issueHistory()", "watchedIssues()", "votedIssues()", "unknownFn()", "currentUser(", "f(a,,b)",
             "f(\"unterminated)")
VALUES = ("ABC", "ABC-1", "\"In Progress\"", "'Won\\'t Do'", "\"a\\\"b\"", "-1w", "\"-2d 4h\"", "1d",
          "\"2026/01/31\"", "\"2026-01-31 14:00\"", "2026-01-31", "3.14", "\"3.14\"", "0", "-5",
          "99999999999999999999999", "Unresolved", "\"\"", "''", "\\", "\"", "'", "\"\\", "日本語", "émoji😀",
          "\u200b", "\x00", "\t", "\n", "\r\n")
PUNCTUATION = ("(", ")", ",", " ", "  ", "\n", "[", "]", "{", "}", ";", "*", "?", "\\\\", "\"", "'")

token = st.sampled_from(KEYWORDS + OPERATORS + FIELDS + FUNCTIONS + VALUES + PUNCTUATION)
token_soup = st.lists(token, max_size=40).map(" ".join) | st.lists(token, max_size=40).map("".join)


@st.composite
def near_valid(draw: st.DrawFn) -> str:
    """Mostly well-formed queries with one token dropped, swapped or duplicated."""
    clauses = draw(st.lists(st.tuples(st.sampled_from(FIELDS), st.sampled_from(OPERATORS + ("IN", "NOT IN")),
                                      st.sampled_from(VALUES + FUNCTIONS)), min_size=1, max_size=6))
    joiners = draw(st.lists(st.sampled_from(("AND", "OR", "AND NOT", "OR NOT")), min_size=len(clauses),
                            max_size=len(clauses)))
    parts: list[str] = []
    for (field, op, value), joiner in zip(clauses, joiners, strict=True):
        parts += [field, op, value, joiner]
    parts = parts[:-1]
    if draw(st.booleans()):
        parts += ["ORDER BY", draw(st.sampled_from(FIELDS)), draw(st.sampled_from(("ASC", "DESC", ",", "")))]
    mutation = draw(st.sampled_from(("none", "drop", "dup", "paren")))
    if mutation != "none" and parts:
        index = draw(st.integers(0, len(parts) - 1))
        if mutation == "drop":
            del parts[index]
        elif mutation == "dup":
            parts.insert(index, parts[index])
        else:
            parts.insert(index, draw(st.sampled_from(("(", ")"))))
    return " ".join(parts)


long_strings = st.sampled_from((
    "project = A AND " * 1200 + "status = B",
    "(" * 59 + "a = b" + ")" * 59,
    "(" * 61 + "a = b" + ")" * 61,
    "(" * 5000,
    ")" * 5000,
    "a = \"" + "x" * (MAX_QUERY_LENGTH + 10) + "\"",
    "a = " + "x" * (MAX_QUERY_LENGTH - 10),
    "labels in (" + ", ".join(f"l{n}" for n in range(2000)) + ")",
    "a = b " + "OR a = b " * 2000,
))

jql_text = st.one_of(st.text(max_size=200), st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
                     token_soup, near_valid(), long_strings)


def check_position(error: JqlSyntaxError, text: str) -> None:
    lines = text.split("\n")
    assert 1 <= error.line <= len(lines), (error.line, error.column, text[:200])
    # Lark counts only "\n" as a line break, so the column is within the line or just past it.
    assert 1 <= error.column <= len(lines[error.line - 1]) + 1, (error.line, error.column, text[:200])


def parse_or_syntax_error(text: str) -> None:
    try:
        result = parse(text)
    except JqlSyntaxError as error:
        check_position(error, text)
        assert str(error)
    else:
        assert isinstance(result, ast.Query)


@FUZZ
@given(jql_text)
def test_parser_answers_a_query_or_a_positioned_syntax_error(text: str) -> None:
    parse_or_syntax_error(text)


@pytest.mark.parametrize("text", ["", " ", "\x00", "a = b\x00", "\n\n\n)", "a = \"open", "a ='", "a = b ORDER BY",
                                  "ORDER BY created", "a in ()", "cf[1] = 2", "a = b\n  AND\n  (c = d", "😀 = 😀",
                                  "a = b\r\n)", "a = \\", "!", "NOT", "a !~", "a WAS IN (b, c) BY d DURING (e, f)"])
def test_parser_edge_cases(text: str) -> None:
    parse_or_syntax_error(text)


@pytest.mark.parametrize("text", ["NOT " * 3000 + "a = b", "!" * 3000 + "a = b"])
def test_parser_bounds_not_chains(text: str) -> None:
    parse_or_syntax_error(text)


@pytest.fixture(scope="module")
def fuzz_org(client: TestClient, database_url: str) -> OrgHandle:
    from tests.support import make_org

    org = make_org(database_url)
    project = client.post("/v2/projects", json={"key": "FZ", "name": "Fuzz"}, headers=org.headers)
    assert project.status_code == 201, project.text
    for summary in ("crash on login", "export times out"):
        created = client.post("/v2/issues", json={"project_id": "FZ", "issue_type": "Task", "summary": summary},
                              headers=org.headers)
        assert created.status_code == 201, created.text
    return org


@SEARCH_FUZZ
@given(text=jql_text, start_at=st.integers(-5, 3) | st.just(2**40), max_results=st.integers(-1, 2000))
def test_search_never_answers_5xx(client: TestClient, fuzz_org: OrgHandle, text: str, start_at: int,
                                  max_results: int) -> None:
    response = client.post("/v2/search", json={"jql": text, "start_at": start_at, "max_results": max_results},
                           headers=fuzz_org.headers)
    assert response.status_code < 500, (text[:300], response.status_code, response.text[:500])
    if response.status_code == 400:
        assert response.json()
