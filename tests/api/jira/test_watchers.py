"""Watchers and votes through the `jira` package."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from tests.support import UserHandle


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
