"""Automatic watching over /v2: the reporter, the assignee (on create, update and transitions) and
commenters start watching."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.watchers import new_issue, watcher_ids, watchers
from tests.support import OrgHandle, UserHandle, make_user


def test_reporter_assignee_and_commenters_watch_automatically(client: TestClient, org: OrgHandle, project: dict,
                                                              member: UserHandle, database_url: str) -> None:
    other = make_user(database_url, org)
    issue = new_issue(client, org, project, assignee_id=member.user_id)
    assert watcher_ids(client, org.headers, issue) == {org.admin_user_id, member.user_id}
    view = watchers(client, member.headers, issue)
    assert view["watch_count"] == 2 and view["is_watching"] is True
    ok(client.put(f"/v2/issues/{issue['id']}", json={"assignee_id": other.user_id}, headers=org.headers))
    assert watcher_ids(client, org.headers, issue) == {org.admin_user_id, member.user_id, other.user_id}
    commenter = make_user(database_url, org)
    ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Following"}, headers=commenter.headers),
        201)
    assert commenter.user_id in watcher_ids(client, org.headers, issue)
    unassigned = new_issue(client, org, project)
    assert watcher_ids(client, org.headers, unassigned) == {org.admin_user_id}


def test_a_transition_that_assigns_adds_the_assignee_as_watcher(client: TestClient, org: OrgHandle,
                                                                project: dict, member: UserHandle) -> None:
    workflow = ok(client.post("/v2/workflows", json={
        "name": "Take it", "statuses": [{"name": "Open", "category": "todo"},
                                        {"name": "Taken", "category": "in_progress"}],
        "initial_status": "Open",
        "transitions": [{"id": "1", "name": "Take", "from": ["Open"], "to": "Taken",
                         "post_functions": [{"type": "assign", "params": {"to": "current_user"}}]}]},
        headers=org.headers), 201)
    issue = new_issue(client, org, project, workflow_id=workflow["id"])
    ok(client.put(f"/v2/projects/{project['id']}/roles/developers", json={"user_ids": [member.user_id]},
                   headers=org.headers))
    assert member.user_id not in watcher_ids(client, org.headers, issue)
    moved = ok(client.post(f"/v2/issues/{issue['id']}/transitions/1", json={}, headers=member.headers))
    assert moved["assignee"]["id"] == member.user_id
    assert member.user_id in watcher_ids(client, org.headers, issue)
