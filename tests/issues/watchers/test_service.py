"""Watchers and votes over /v2: automatic watching (reporter, assignee on create, update and
transitions, commenters), watching others as an administrator, Jira's voting rules."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle, make_org, make_user


def _new_issue(client: TestClient, org: OrgHandle, project: dict, **fields: object) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": "Watch me", **fields}, headers=org.headers), 201)


def _watchers(client: TestClient, headers: dict, issue: dict) -> dict:
    return ok(client.get(f"/v2/issues/{issue['id']}/watchers", headers=headers))


def _watcher_ids(client: TestClient, headers: dict, issue: dict) -> set[int]:
    return {w["id"] for w in _watchers(client, headers, issue)["watchers"]}


def test_reporter_assignee_and_commenters_watch_automatically(client: TestClient, org: OrgHandle, project: dict,
                                                              member: UserHandle, database_url: str) -> None:
    other = make_user(database_url, org)
    issue = _new_issue(client, org, project, assignee_id=member.user_id)
    assert _watcher_ids(client, org.headers, issue) == {org.admin_user_id, member.user_id}
    view = _watchers(client, member.headers, issue)
    assert view["watch_count"] == 2 and view["is_watching"] is True
    ok(client.put(f"/v2/issues/{issue['id']}", json={"assignee_id": other.user_id}, headers=org.headers))
    assert _watcher_ids(client, org.headers, issue) == {org.admin_user_id, member.user_id, other.user_id}
    commenter = make_user(database_url, org)
    ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Following"}, headers=commenter.headers),
        201)
    assert commenter.user_id in _watcher_ids(client, org.headers, issue)
    unassigned = _new_issue(client, org, project)
    assert _watcher_ids(client, org.headers, unassigned) == {org.admin_user_id}


def test_a_transition_that_assigns_adds_the_assignee_as_watcher(client: TestClient, org: OrgHandle,
                                                                project: dict, member: UserHandle) -> None:
    workflow = ok(client.post("/v2/workflows", json={
        "name": "Take it", "statuses": [{"name": "Open", "category": "todo"},
                                        {"name": "Taken", "category": "in_progress"}],
        "initial_status": "Open",
        "transitions": [{"id": "1", "name": "Take", "from": ["Open"], "to": "Taken",
                         "post_functions": [{"type": "assign", "params": {"to": "current_user"}}]}]},
        headers=org.headers), 201)
    issue = _new_issue(client, org, project, workflow_id=workflow["id"])
    ok(client.put(f"/v2/projects/{project['id']}/roles/developers", json={"user_ids": [member.user_id]},
                   headers=org.headers))
    assert member.user_id not in _watcher_ids(client, org.headers, issue)
    moved = ok(client.post(f"/v2/issues/{issue['id']}/transitions/1", json={}, headers=member.headers))
    assert moved["assignee"]["id"] == member.user_id
    assert member.user_id in _watcher_ids(client, org.headers, issue)


def test_watch_and_unwatch_yourself_idempotently(client: TestClient, org: OrgHandle, project: dict,
                                                 viewer: UserHandle) -> None:
    issue = _new_issue(client, org, project)
    url = f"/v2/issues/{issue['id']}/watch"
    for _ in range(2):
        view = ok(client.put(url, headers=viewer.headers))
        assert view["is_watching"] is True and view["watch_count"] == 2
    assert viewer.user_id in {w["id"] for w in view["watchers"]}
    for _ in range(2):
        view = ok(client.delete(url, headers=viewer.headers))
        assert view["is_watching"] is False and view["watch_count"] == 1
    assert ok(client.put(url, json={"user_id": viewer.user_id}, headers=viewer.headers))["is_watching"] is True


def test_only_administrators_change_other_users_watches(client: TestClient, database_url: str, org: OrgHandle,
                                                        project: dict, member: UserHandle,
                                                        viewer: UserHandle) -> None:
    issue = _new_issue(client, org, project)
    url = f"/v2/issues/{issue['id']}/watch"
    denied = client.put(url, json={"user_id": viewer.user_id}, headers=member.headers)
    assert denied.status_code == 403, denied.text
    assert client.delete(url, params={"user_id": org.admin_user_id}, headers=member.headers).status_code == 403
    added = ok(client.put(url, json={"user_id": f"user_{viewer.user_id}"}, headers=org.headers))
    assert viewer.user_id in {w["id"] for w in added["watchers"]} and added["is_watching"] is True
    removed = ok(client.delete(url, params={"user_id": viewer.user_id}, headers=org.headers))
    assert viewer.user_id not in {w["id"] for w in removed["watchers"]}
    stranger = make_user(database_url, make_org(database_url))
    for ref in (stranger.user_id, 987654321, "nobody"):
        response = client.put(url, json={"user_id": ref}, headers=org.headers)
        assert response.status_code == 400 and response.json()["error"]["field"] == "user_id", response.text
    # Someone who may not browse the (private) project cannot be made to watch it.
    private = ok(client.post("/v2/projects", json={"key": "PRIVW", "name": "Private", "access": "private"},
                              headers=org.headers), 201)
    hidden = _new_issue(client, org, private)
    refused = client.put(f"/v2/issues/{hidden['id']}/watch", json={"user_id": member.user_id}, headers=org.headers)
    assert refused.status_code == 400 and "browse" in refused.json()["error"]["message"]
    assert client.put(f"/v2/issues/{hidden['id']}/watch", headers=member.headers).status_code == 404


def test_votes_follow_jiras_rules(client: TestClient, org: OrgHandle, project: dict, member: UserHandle,
                                  viewer: UserHandle) -> None:
    issue = _new_issue(client, org, project)
    vote_url, votes_url = f"/v2/issues/{issue['id']}/vote", f"/v2/issues/{issue['id']}/votes"
    own = client.put(vote_url, headers=org.headers)
    assert own.status_code == 400 and own.json()["error"]["code"] == "own_issue", own.text
    for user in (member, viewer):
        ok(client.put(vote_url, headers=user.headers))
    ok(client.put(vote_url, headers=member.headers))  # twice is still one vote
    view = ok(client.get(votes_url, headers=member.headers))
    assert view["votes"] == 2 and view["has_voted"] is True
    assert {v["id"] for v in view["voters"]} == {member.user_id, viewer.user_id}
    assert ok(client.get(votes_url, headers=org.headers))["has_voted"] is False
    assert ok(client.delete(vote_url, headers=viewer.headers))["votes"] == 1
    done = next(t for t in ok(client.get(f"/v2/issues/{issue['id']}/transitions", headers=org.headers))[
        "transitions"] if t["to"]["category"] == "done")
    ok(client.post(f"/v2/issues/{issue['id']}/transitions/{done['id']}", json={}, headers=org.headers))
    for method in ("PUT", "DELETE"):
        response = client.request(method, vote_url, headers=member.headers)
        assert response.status_code == 400 and response.json()["error"]["code"] == "issue_resolved", response.text
    assert ok(client.get(votes_url, headers=member.headers))["votes"] == 1


@pytest.mark.parametrize("path", ["watchers", "votes"])
def test_bad_issue_references_answer_404(client: TestClient, org: OrgHandle, path: str) -> None:
    for ref in ("NOPE-1", "0", "x" * 40, "99999999999999999999"):
        response = client.get(f"/v2/issues/{ref}/{path}", headers=org.headers)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
