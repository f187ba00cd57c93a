"""Comments through the `jira` package: add, edit, delete, and visibility restricted to a role."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from tests.support import OrgHandle, UserHandle


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
