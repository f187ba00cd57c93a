"""Issue links and remote links through the `jira` package."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError


def test_issue_links_and_remote_links(jira: JIRA, issue) -> None:  # type: ignore[no-untyped-def]
    other = jira.create_issue(project="WEB", summary="Payment provider outage", issuetype={"name": "Bug"})
    names = {t.name: t for t in jira.issue_link_types()}
    assert {"Blocks", "Relates", "Duplicate", "Cloners"} <= set(names)
    jira.create_issue_link("Blocks", other.key, issue.key)  # other blocks issue
    jira.create_issue_link("is duplicated by", issue.key, other.key)  # by verb: other duplicates issue
    blocked = jira.issue(issue.key).fields.issuelinks
    by_type = {link.type.name: link for link in blocked}
    assert by_type["Blocks"].inwardIssue.key == other.key
    assert by_type["Duplicate"].inwardIssue.key == other.key
    outward = {link.type.name: link for link in jira.issue(other.key).fields.issuelinks}
    assert outward["Blocks"].outwardIssue.key == issue.key
    link = jira.issue_link(by_type["Blocks"].id)
    assert link.inwardIssue.key == other.key and link.outwardIssue.key == issue.key
    jira.delete_issue_link(by_type["Blocks"].id)
    assert [link.type.name for link in jira.issue(issue.key).fields.issuelinks] == ["Duplicate"]

    remote = jira.add_simple_link(issue.key, {"url": "https://git.example/pr/7", "title": "PR 7"})
    assert remote.id
    jira.add_remote_link(issue.key, {"url": "https://wiki.example/refunds", "title": "Runbook"},
                         globalId="wiki-1", relationship="documented in")
    jira.add_remote_link(issue.key, {"url": "https://wiki.example/refunds-v2", "title": "Runbook v2"},
                         globalId="wiki-1")
    links = jira.remote_links(issue.key)
    assert [(r.object.title, getattr(r, "globalId", None)) for r in links] == [("PR 7", None), ("Runbook v2", "wiki-1")]
    jira.delete_remote_link(issue.key, internal_id=links[0].id)
    assert [r.object.title for r in jira.remote_links(issue.key)] == ["Runbook v2"]
    with pytest.raises(JIRAError) as bad:
        jira.add_simple_link(issue.key, {"url": "javascript:alert(1)", "title": "x"})
    assert bad.value.status_code == 400
