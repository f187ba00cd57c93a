"""Attachments through the `jira` package."""

from __future__ import annotations

import io

from jira import JIRA


def test_attachments(jira: JIRA, issue) -> None:  # type: ignore[no-untyped-def]
    added = jira.add_attachment(issue.key, io.BytesIO(b"trace: refund job timed out\n"), filename="trace.log")
    assert added.filename == "trace.log" and added.size == 28 and added.author.name == jira.current_user()
    fetched = jira.attachment(added.id)
    assert fetched.get() == b"trace: refund job timed out\n"
    assert [a.filename for a in jira.issue(issue.key).fields.attachment] == ["trace.log"]
    jira.delete_attachment(added.id)
    assert jira.issue(issue.key).fields.attachment == []
