"""Worklogs through the `jira` package."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError


def test_worklogs(jira: JIRA, issue) -> None:  # type: ignore[no-untyped-def]
    logged = jira.add_worklog(issue.key, timeSpent="1h 30m", comment="Investigation")
    assert logged.timeSpentSeconds == 5400 and logged.timeSpent == "1h 30m"
    jira.add_worklog(issue.key, timeSpentSeconds="3600")
    assert [w.timeSpentSeconds for w in jira.worklogs(issue.key)] == [5400, 3600]
    assert jira.issue(issue.key).fields.timespent == 9000
    jira.transition_issue(issue.key, "In Progress", worklog="2h")
    assert jira.worklog(issue.key, logged.id).comment == "Investigation"
    assert sum(w.timeSpentSeconds for w in jira.worklogs(issue.key)) == 16200
    logged.delete()
    assert len(jira.worklogs(issue.key)) == 2
    with pytest.raises(JIRAError) as bad:
        jira.add_worklog(issue.key, timeSpent="a while")
    assert bad.value.status_code == 400
