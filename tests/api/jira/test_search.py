"""Search through the `jira` package: paging (startAt / maxResults, and maxResults=False
batches), POST search, field selection, JQL errors in Jira's wording."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from tests.support import OrgHandle


@pytest.fixture
def many(jira: JIRA, project: dict) -> list[str]:
    created = jira.create_issues([{"project": {"key": "WEB"}, "summary": f"Issue {n}", "issuetype": {"name": "Task"},
                                   "labels": ["even" if n % 2 == 0 else "odd"]} for n in range(1, 8)])
    assert all(c["error"] is None for c in created), created
    return [c["issue"].key for c in created]


def test_pages_and_batches(jira: JIRA, many: list[str]) -> None:
    first = jira.search_issues("project = WEB ORDER BY key ASC", startAt=0, maxResults=3)
    assert [i.key for i in first] == many[:3] and first.total == 7 and first.startAt == 0 and first.maxResults == 3
    last = jira.search_issues("project = WEB ORDER BY key ASC", startAt=6, maxResults=3)
    assert [i.key for i in last] == many[6:]
    everything = jira.search_issues("project = WEB ORDER BY key ASC", maxResults=False)
    assert [i.key for i in everything] == many
    posted = jira.search_issues("labels = even ORDER BY key DESC", maxResults=2, use_post=True,
                                fields=["summary", "labels"])
    assert [i.key for i in posted] == [many[5], many[3]] and posted.total == 3
    assert set(posted[0].raw["fields"]) == {"summary", "labels"}
    raw = jira.search_issues("project = WEB", maxResults=1, json_result=True, fields="key,summary", expand="names")
    assert raw["total"] == 7 and raw["issues"][0]["names"] == {"summary": "Summary"}


def test_jql_errors_are_400_in_jiras_words(jira: JIRA, project: dict) -> None:
    with pytest.raises(JIRAError) as bad:
        jira.search_issues("project = WEB AND status foo")
    assert bad.value.status_code == 400
    [message] = bad.value.response.json()["errorMessages"]
    assert message.startswith("Error in the JQL Query:") and "(line 1, character" in message
    with pytest.raises(JIRAError) as unknown:
        jira.search_issues("nosuchfield = 1")
    assert unknown.value.response.json() == {"errorMessages": [
        "Field 'nosuchfield' does not exist or you do not have permission to view it."], "errors": {}}
    lenient = jira.search_issues("project = NOPE", validate_query=False, json_result=True)
    assert lenient["total"] == 0 and lenient["warningMessages"]


def test_another_organizations_issues_never_show(jira: JIRA, jira_url: str, other_org: OrgHandle,
                                                 many: list[str]) -> None:
    from tests.api.jira.conftest import jira_as

    stranger = jira_as(jira_url, other_org)
    assert stranger.search_issues("ORDER BY created", json_result=True)["total"] == 0
    with pytest.raises(JIRAError) as refused:
        stranger.search_issues("project = WEB")
    assert refused.value.status_code == 400  # the project does not exist for them
