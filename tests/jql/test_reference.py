"""The plain-Python reference evaluator (tests/jql/reference.py) that the differential test trusts,
against answers worked out by hand over a tiny world."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.jql.reference import RefIssue, RefWorld, evaluate
from tests.jql.test_differential import DAY, PRIORITIES

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def tiny_issue(number: int, project: str = "ALPHA", **overrides: object) -> RefIssue:
    base: dict = dict(id=number, key=f"{project}-{number}", project_key=project, project_name=f"{project} name",
                      issue_type="Task", status="To Do", status_category="To Do", priority="Medium",
                      resolution=None, assignee=None, reporter=1, labels=frozenset(), components=frozenset(),
                      fix_versions=frozenset(), due=None, created=NOW - number * 10 * DAY,
                      updated=NOW - number * DAY, resolved=None, summary="Crash on login", story_points=None)
    return RefIssue(**{**base, **overrides})


TINY = RefWorld(
    issues=(
        tiny_issue(1, assignee=1, labels=frozenset({"urgent", "backend"}), priority="Highest", story_points=5,
                   due=date(2026, 3, 5)),
        tiny_issue(2, assignee=2, labels=frozenset({"backend"}), priority="Low", status="Done",
                   status_category="Done", resolution="Fixed", summary="Export button broken", story_points=3),
        tiny_issue(3, project="BETA", components=frozenset({"Core"}), fix_versions=frozenset({"1.0"}),
                   priority="High", summary="Login token timeout", due=date(2026, 2, 1)),
        tiny_issue(4, project="BETA", assignee=1, status="Won't Do", status_category="Done",
                   resolution="Won't Do", priority="Medium", summary="login", story_points=5),
    ),
    priorities=PRIORITIES, users={"me@x.test": 1, "you@x.test": 2}, current_user=1, now=NOW,
    project_names={"alpha name": "alpha", "beta name": "beta"})


@pytest.mark.parametrize(("jql", "expected"), [
    ("", ["ALPHA-1", "ALPHA-2", "BETA-3", "BETA-4"]),
    ("project = beta", ["BETA-3", "BETA-4"]),
    ('project = "ALPHA name"', ["ALPHA-1", "ALPHA-2"]),
    ("assignee = currentUser()", ["ALPHA-1", "BETA-4"]),
    ('assignee != "me@x.test"', ["ALPHA-2"]),
    ("NOT assignee = currentUser()", ["ALPHA-2", "BETA-3"]),
    ("assignee is EMPTY", ["BETA-3"]),
    ('assignee not in ("you@x.test", EMPTY)', ["ALPHA-1", "BETA-4"]),
    ("labels = backend", ["ALPHA-1", "ALPHA-2"]),
    ("labels != urgent", ["ALPHA-2"]),
    ("labels not in (urgent)", ["ALPHA-2"]),
    ("labels is empty", ["BETA-3", "BETA-4"]),
    ("labels in (urgent, EMPTY)", ["ALPHA-1", "BETA-3", "BETA-4"]),
    ("priority > Medium", ["ALPHA-1", "BETA-3"]),
    ("priority <= medium", ["ALPHA-2", "BETA-4"]),
    ("resolution = Unresolved", ["ALPHA-1", "BETA-3"]),
    ("resolution != Fixed", ["BETA-4"]),
    ("statusCategory = Done AND NOT status = Done", ["BETA-4"]),
    ("summary ~ LOGIN", ["ALPHA-1", "BETA-3", "BETA-4"]),
    ('summary ~ "\\"token timeout\\""', ["BETA-3"]),
    ('summary ~ "\\"timeout token\\""', []),
    ("summary !~ login", ["ALPHA-2"]),
    ('"Story Points" >= 5', ["ALPHA-1", "BETA-4"]),
    ('"Story Points" != 5', ["ALPHA-2"]),
    ('"Story Points" is empty', ["BETA-3"]),
    ('due < "2026-03-05"', ["BETA-3"]),
    ('due <= "2026/03/05"', ["ALPHA-1", "BETA-3"]),
    ("due != '2026-02-01'", ["ALPHA-1"]),
    ("created >= -25d", ["ALPHA-1", "ALPHA-2"]),
    ('created < "2026-02-09 18:45"', ["ALPHA-2", "BETA-3", "BETA-4"]),
    ('created < "2026-02-09 06:30"', ["BETA-3", "BETA-4"]),
    ("updated > -1w", ["ALPHA-1", "ALPHA-2", "BETA-3", "BETA-4"]),
    ('updated > "-2d 12h"', ["ALPHA-1", "ALPHA-2"]),
    ("component = core or fixVersion = '1.0'", ["BETA-3"]),
    ("component != core", []),
    ("key in (alpha-1, BETA-4)", ["ALPHA-1", "BETA-4"]),
    ("key != ALPHA-1 AND project = ALPHA", ["ALPHA-2"]),
    ("ORDER BY priority DESC", ["ALPHA-1", "BETA-3", "BETA-4", "ALPHA-2"]),
    ("ORDER BY priority ASC", ["ALPHA-2", "BETA-4", "BETA-3", "ALPHA-1"]),
    ('ORDER BY "Story Points" DESC, key DESC', ["BETA-3", "BETA-4", "ALPHA-1", "ALPHA-2"]),
    ('ORDER BY "Story Points" ASC', ["ALPHA-2", "ALPHA-1", "BETA-4", "BETA-3"]),
    ("ORDER BY due ASC, created ASC", ["BETA-3", "ALPHA-1", "BETA-4", "ALPHA-2"]),
    ("project = alpha ORDER BY created", ["ALPHA-1", "ALPHA-2"]),
])
def test_reference_evaluator(jql: str, expected: list[str]) -> None:
    result = evaluate(TINY, jql)
    if "ORDER BY" in jql:
        assert result == expected
    else:
        assert sorted(result) == sorted(expected)
