"""Watchers and votes over /v2: watching and unwatching oneself, watching others as an
administrator, Jira's voting rules, bad issue references."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.watchers import new_issue
from tests.support import OrgHandle, UserHandle, make_org, make_user


def test_watch_and_unwatch_yourself_idempotently(client: TestClient, org: OrgHandle, project: dict,
                                                 viewer: UserHandle) -> None:
    issue = new_issue(client, org, project)
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
    issue = new_issue(client, org, project)
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
    hidden = new_issue(client, org, private)
    refused = client.put(f"/v2/issues/{hidden['id']}/watch", json={"user_id": member.user_id}, headers=org.headers)
    assert refused.status_code == 400 and "browse" in refused.json()["error"]["message"]
    assert client.put(f"/v2/issues/{hidden['id']}/watch", headers=member.headers).status_code == 404


def test_votes_follow_jiras_rules(client: TestClient, org: OrgHandle, project: dict, member: UserHandle,
                                  viewer: UserHandle) -> None:
    issue = new_issue(client, org, project)
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
