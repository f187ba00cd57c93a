"""@mentions: the three spellings, same-organization resolution only, stored rows, one
user_mentioned event per newly mentioned reader, and the mentionable-users autocomplete."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.comments import assert_harmless
from tests.factories.http import ok
from tests.factories.outbox import events
from tests.support import OrgHandle, UserHandle, fetch_rows, make_org, make_user


@pytest.fixture
def issue(client: TestClient, org: OrgHandle, project: dict) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": "Mentions"}, headers=org.headers), 201)


def _mention_events(database_url: str, org: OrgHandle, comment_id: int) -> list[dict]:
    payloads = [row["payload"] for row in events(database_url, org, "user_mentioned")]
    return [p for p in payloads if p["comment_id"] == comment_id]


def _stored(database_url: str, comment_id: int) -> set[int]:
    rows = fetch_rows(database_url, "SELECT user_id FROM comment_mentions WHERE comment_id = :c", {"c": comment_id})
    return {r["user_id"] for r in rows}


def test_every_spelling_resolves_within_the_organization_only(client: TestClient, database_url: str,
                                                              org: OrgHandle, issue: dict) -> None:
    jane = make_user(database_url, org, email=f"jane@{org.key.lower()}.test")
    bob = make_user(database_url, org)
    carol = make_user(database_url, org)
    stranger_org = make_org(database_url)
    stranger = make_user(database_url, stranger_org, email=f"jane@{stranger_org.key.lower()}.test")
    body = (f"Hi [~accountid:{jane.user_id}], [~{bob.email.upper()}] and @[Carol C](account:{carol.user_id}). "
            f"Not: [~accountid:{stranger.user_id}], [~{stranger.email}], [~accountid:987654321], "
            f"`[~accountid:{bob.user_id}]` in code.")
    comment = ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": body}, headers=org.headers), 201)
    assert {m["id"] for m in comment["mentions"]} == {jane.user_id, bob.user_id, carol.user_id}
    html = comment["rendered_body"]
    for user in (jane, bob, carol):
        assert f'<span class="mention" data-user-id="{user.user_id}">@' in html
    assert f"[~accountid:{stranger.user_id}]" in html and f"[~{stranger.email}]" in html  # plain text
    assert f"<code>[~accountid:{bob.user_id}]</code>" in html
    assert "Carol C" not in html  # the label is only a hint: the user's own name is shown
    assert _stored(database_url, comment["id"]) == {jane.user_id, bob.user_id, carol.user_id}
    events = _mention_events(database_url, org, comment["id"])
    assert sorted(e["mentioned_user_id"] for e in events) == sorted([jane.user_id, bob.user_id, carol.user_id])
    assert all(e["user_id"] == org.admin_user_id and e["issue_id"] == issue["id"] for e in events)
    stranger_events = fetch_rows(database_url, "SELECT count(*) AS n FROM outbox_events WHERE organization_id = :o "
                                               "AND event_type = 'user_mentioned'",
                                 {"o": stranger_org.organization_id})
    assert stranger_events[0]["n"] == 0


def test_editing_announces_only_new_mentions_and_forgets_removed_ones(client: TestClient, database_url: str,
                                                                      org: OrgHandle, issue: dict) -> None:
    first, second = make_user(database_url, org), make_user(database_url, org)
    url = f"/v2/issues/{issue['id']}/comments"
    comment = ok(client.post(url, json={"body": f"[~accountid:{first.user_id}] and me "
                                                 f"[~accountid:{org.admin_user_id}]"}, headers=org.headers), 201)
    assert [e["mentioned_user_id"] for e in _mention_events(database_url, org, comment["id"])] == [first.user_id]
    ok(client.put(f"{url}/{comment['id']}", json={"body": f"Now [~accountid:{second.user_id}] "
                                                            f"and [~accountid:{first.user_id}]"},
                   headers=org.headers))
    events = _mention_events(database_url, org, comment["id"])
    assert [e["mentioned_user_id"] for e in events] == [first.user_id, second.user_id]
    ok(client.put(f"{url}/{comment['id']}", json={"body": f"Only [~accountid:{second.user_id}]"},
                   headers=org.headers))
    assert _stored(database_url, comment["id"]) == {second.user_id}
    assert len(_mention_events(database_url, org, comment["id"])) == 2


def test_only_readers_of_the_comment_are_told(client: TestClient, database_url: str, org: OrgHandle,
                                              project: dict, issue: dict, member: UserHandle) -> None:
    developer = make_user(database_url, org)
    ok(client.put(f"/v2/projects/{project['id']}/roles/developers", json={"user_ids": [developer.user_id]},
                   headers=org.headers))
    body = f"[~accountid:{developer.user_id}] [~accountid:{member.user_id}]"
    comment = ok(client.post(f"/v2/issues/{issue['id']}/comments", json={
        "body": body, "visibility": {"type": "role", "value": "developers"}}, headers=org.headers), 201)
    events = _mention_events(database_url, org, comment["id"])
    assert [e["mentioned_user_id"] for e in events] == [developer.user_id]
    assert events[0]["visibility"] == {"type": "role", "value": "developers"}
    assert _stored(database_url, comment["id"]) == {developer.user_id, member.user_id}


def test_display_names_are_escaped_in_mentions(client: TestClient, database_url: str, org: OrgHandle,
                                               issue: dict) -> None:
    evil = make_user(database_url, org)
    ok(client.put(f"/v2/users/{evil.user_id}", json={"name": '<img src=x onerror=alert(1)>"'},
                   headers=org.headers))
    comment = ok(client.post(f"/v2/issues/{issue['id']}/comments",
                              json={"body": f"[~accountid:{evil.user_id}]"}, headers=org.headers), 201)
    assert "&lt;img" in comment["rendered_body"]
    assert_harmless(comment["rendered_body"])


def test_mentionable_users_are_those_who_may_browse(client: TestClient, database_url: str, org: OrgHandle,
                                                    project: dict, issue: dict, viewer: UserHandle) -> None:
    joan = make_user(database_url, org, email=f"joan@{org.key.lower()}.test")
    ok(client.put(f"/v2/users/{joan.user_id}", json={"name": "Joan Miro"}, headers=org.headers))
    other = make_org(database_url)
    make_user(database_url, other, email=f"jo@{other.key.lower()}.test")
    url = f"/v2/issues/{issue['id']}/mentionable"
    found = ok(client.get(url, params={"query": "jo"}, headers=org.headers))["users"]
    assert [u["id"] for u in found] == [joan.user_id]
    assert found[0]["mention"] == f"@[Joan Miro](account:{joan.user_id})"
    assert [u["id"] for u in ok(client.get(url, params={"query": "@mir"}, headers=org.headers))["users"]] == [
        joan.user_id]  # any word of the name
    everyone = ok(client.get(url, headers=org.headers))["users"]
    assert {joan.user_id, viewer.user_id, org.admin_user_id} <= {u["id"] for u in everyone}
    assert ok(client.get(url, params={"query": "%"}, headers=org.headers))["users"] == []
    # A private project: only its roles (and admins) may browse, so only they are offered.
    private = ok(client.post("/v2/projects", json={"key": "PRIV", "name": "Private", "access": "private"},
                              headers=org.headers), 201)
    hidden = ok(client.post("/v2/issues", json={"project_id": private["id"], "issue_type": "Task",
                                                 "summary": "Hidden"}, headers=org.headers), 201)
    offered = {u["id"] for u in ok(client.get(f"/v2/issues/{hidden['id']}/mentionable",
                                               headers=org.headers))["users"]}
    assert offered == {org.admin_user_id}
    assert client.get(f"/v2/issues/{hidden['id']}/mentionable", headers=joan.headers).status_code == 404
    assert client.get(url, headers=other.headers).status_code == 404
    many = [make_user(database_url, org, email=f"jo{n}-{org.key.lower()}@x.test") for n in range(21)]
    assert len(many) == 21
    assert len(ok(client.get(url, params={"query": "jo"}, headers=org.headers))["users"]) == 20
