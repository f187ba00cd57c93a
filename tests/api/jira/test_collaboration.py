"""Transitions, comments, watchers, votes, issue links, remote links, worklogs and attachments
through the `jira` package."""

from __future__ import annotations

import io

import pytest
from jira import JIRA, JIRAError

from tests.support import OrgHandle, UserHandle


@pytest.fixture
def issue(jira: JIRA, project: dict):  # type: ignore[no-untyped-def]
    return jira.create_issue(project="WEB", summary="Refunds are late", issuetype={"name": "Bug"})


def test_transitions_to_done_with_a_resolution_and_a_comment(jira: JIRA, issue) -> None:  # type: ignore[no-untyped-def]
    transitions = jira.transitions(issue)
    assert [t["name"] for t in transitions] == ["Start Progress", "Won't Do"]
    assert transitions[0]["to"]["statusCategory"]["key"] == "indeterminate"
    jira.transition_issue(issue, "Start Progress")
    expanded = jira.transitions(issue.key, expand="transitions.fields")
    done = next(t for t in expanded if t["name"] == "Done")
    assert set(done["fields"]) == {"resolution", "comment"} and done["hasScreen"] is True
    assert {v["name"] for v in done["fields"]["resolution"]["allowedValues"]} >= {"Fixed", "Done"}
    assert jira.find_transitionid_by_name(issue, "done") == done["id"]
    jira.transition_issue(issue, done["id"], fields={"resolution": {"name": "Fixed"}}, comment="Shipped in 2.3")
    fresh = jira.issue(issue.key)
    assert fresh.fields.status.name == "Done" and fresh.fields.status.statusCategory.key == "done"
    assert fresh.fields.resolution.name == "Fixed" and fresh.fields.resolutiondate is not None
    assert [c.body for c in fresh.fields.comment.comments] == ["Shipped in 2.3"]
    with pytest.raises(JIRAError) as unavailable:
        jira.transition_issue(issue, "11")  # Start Progress does not start from Done
    assert unavailable.value.status_code == 409 and unavailable.value.response.json()["errorMessages"]
    with pytest.raises(JIRAError) as unknown:
        jira.transition_issue(issue, "999")
    assert unknown.value.status_code == 400 and "transition" in unknown.value.response.json()["errors"]


def test_comments_add_edit_delete_and_role_visibility(jira: JIRA, jira_url: str, issue, database_url: str,
                                                      org: OrgHandle, member: UserHandle) -> None:  # type: ignore[no-untyped-def]
    from tests.api.jira.conftest import jira_as

    comment = jira.add_comment(issue, "First look: the queue is stuck")
    assert comment.author.name == org.admin_email and comment.body.startswith("First look")
    secret = jira.add_comment(issue.key, "Customer is ACME", visibility={"type": "role", "value": "Administrators"})
    assert secret.visibility.value == "Administrators"
    comment.update(body="First look: the refund queue is stuck")
    assert jira.comment(issue.key, comment.id).body == "First look: the refund queue is stuck"
    assert [c.id for c in jira.comments(issue.key)] == [comment.id, secret.id]
    assert [c.id for c in jira.comments(issue.key, order_by="-created")] == [secret.id, comment.id]
    as_member = jira_as(jira_url, member)
    assert [c.id for c in as_member.comments(issue.key)] == [comment.id]  # not in the role
    with pytest.raises(JIRAError) as hidden:
        as_member.comment(issue.key, secret.id)
    assert hidden.value.status_code == 404
    with pytest.raises(JIRAError) as not_yours:
        as_member.comment(issue.key, comment.id).update(body="hijacked")
    assert not_yours.value.status_code == 403
    comment.delete()
    assert [c.id for c in jira.comments(issue.key)] == [secret.id]
    rendered = jira.comment(issue.key, secret.id, expand="renderedBody")
    assert rendered.renderedBody.startswith("<p>")


def test_watchers_and_votes(jira: JIRA, jira_url: str, issue, member: UserHandle) -> None:  # type: ignore[no-untyped-def]
    from tests.api.jira.conftest import jira_as

    watchers = jira.watchers(issue)
    assert watchers.watchCount == 1 and watchers.isWatching is True
    jira.add_watcher(issue.key, member.email)
    assert sorted(w.name for w in jira.watchers(issue.key).watchers) == sorted([jira.current_user(), member.email])
    jira.remove_watcher(issue.key, member.email)
    assert [w.name for w in jira.watchers(issue.key).watchers] == [jira.current_user()]
    voter = jira_as(jira_url, member)
    voter.add_vote(issue.key)
    votes = jira.votes(issue.key)
    assert votes.votes == 1 and votes.hasVoted is False and [v.name for v in votes.voters] == [member.email]
    assert voter.votes(issue.key).hasVoted is True
    voter.remove_vote(issue.key)
    assert jira.votes(issue.key).votes == 0
    with pytest.raises(JIRAError) as own:
        jira.add_vote(issue.key)  # the reporter may not vote
    assert own.value.status_code == 400


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


def test_worklogs(jira: JIRA, issue) -> None:  # type: ignore[no-untyped-def]
    logged = jira.add_worklog(issue.key, timeSpent="1h 30m", comment="Investigation")
    assert logged.timeSpentSeconds == 5400 and logged.timeSpent == "1h 30m"
    jira.add_worklog(issue.key, timeSpentSeconds="3600")
    assert [w.timeSpentSeconds for w in jira.worklogs(issue.key)] == [5400, 3600]
    assert jira.issue(issue.key).fields.timespent == 9000
    jira.transition_issue(issue.key, "Start Progress", worklog="2h")
    assert jira.worklog(issue.key, logged.id).comment == "Investigation"
    assert sum(w.timeSpentSeconds for w in jira.worklogs(issue.key)) == 16200
    logged.delete()
    assert len(jira.worklogs(issue.key)) == 2
    with pytest.raises(JIRAError) as bad:
        jira.add_worklog(issue.key, timeSpent="a while")
    assert bad.value.status_code == 400


def test_attachments(jira: JIRA, issue) -> None:  # type: ignore[no-untyped-def]
    added = jira.add_attachment(issue.key, io.BytesIO(b"trace: refund job timed out\n"), filename="trace.log")
    assert added.filename == "trace.log" and added.size == 28 and added.author.name == jira.current_user()
    fetched = jira.attachment(added.id)
    assert fetched.get() == b"trace: refund job timed out\n"
    assert [a.filename for a in jira.issue(issue.key).fields.attachment] == ["trace.log"]
    jira.delete_attachment(added.id)
    assert jira.issue(issue.key).fields.attachment == []
