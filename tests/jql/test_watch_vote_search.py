"""JQL over watchers and votes, on both backends: `watcher`, `votes`, watchedIssues(),
votedIssues(), ordering by votes, and nothing across organizations."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle, make_org, make_user


@dataclass
class Votes:
    org: OrgHandle
    member: UserHandle
    viewer: UserHandle
    ids: dict[str, int]

    def names(self, client: TestClient, jql: str, headers: dict | None = None) -> list[str]:
        by_id = {issue_id: name for name, issue_id in self.ids.items()}
        found = ok(client.post("/v2/search", json={"jql": jql, "fields": ["key"], "max_results": 100},
                                headers=headers or self.org.headers))
        return [by_id.get(issue["id"], str(issue["id"])) for issue in found["issues"]]

    def found(self, client: TestClient, jql: str, headers: dict | None = None) -> set[str]:
        return set(self.names(client, jql, headers))


@pytest.fixture
def world(client: TestClient, database_url: str, org: OrgHandle, project: dict) -> Votes:
    """a: reported by the admin, assigned to the member (both watch), one vote (the viewer);
    b: the admin's, unwatched by them (no watcher), two votes; c: the member's own; d: the admin's."""
    member, viewer = make_user(database_url, org), make_user(database_url, org, role="viewer")

    def create(headers: dict, **fields: object) -> int:
        return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                   "summary": "Searchable", **fields}, headers=headers), 201)["id"]

    ids = {"a": create(org.headers, assignee_id=member.user_id), "b": create(org.headers),
           "c": create(member.headers), "d": create(org.headers)}
    ok(client.delete(f"/v2/issues/{ids['b']}/watch", headers=org.headers))
    ok(client.put(f"/v2/issues/{ids['a']}/vote", headers=viewer.headers))
    for user in (member, viewer):
        ok(client.put(f"/v2/issues/{ids['b']}/vote", headers=user.headers))
    return Votes(org, member, viewer, ids)


def test_watcher_field(client: TestClient, world: Votes) -> None:
    member = world.member
    assert world.found(client, "watcher = currentUser()") == {"a", "d"}
    assert world.found(client, "watcher = currentUser()", world.member.headers) == {"a", "c"}
    assert world.found(client, f'watcher = "{member.email}"') == {"a", "c"}
    assert world.found(client, f"watcher in ({member.user_id}, currentUser())") == {"a", "c", "d"}
    assert world.found(client, "watcher is empty") == {"b"}
    assert world.found(client, "watcher = EMPTY OR watcher = currentUser()") == {"a", "b", "d"}
    assert world.found(client, "watcher is not empty") == {"a", "c", "d"}
    assert world.found(client, f"watcher != {member.user_id}") == {"d"}  # never the unwatched
    assert world.found(client, f"NOT watcher = {member.user_id}") == {"b", "d"}


def test_watchers_counts_them(client: TestClient, world: Votes) -> None:
    assert world.found(client, "watchers = 2") == {"a"}
    assert world.found(client, "watchers >= 1") == {"a", "c", "d"}
    assert world.found(client, "watchers = 0") == {"b"}
    assert world.found(client, "watchers in (0, 2)") == {"a", "b"}
    assert world.names(client, "order by watchers desc, key asc") == ["a", "c", "d", "b"]
    bad = client.post("/v2/search", json={"jql": f'watchers = "{world.member.email}"'}, headers=world.org.headers)
    assert bad.status_code == 400 and "is not a number" in bad.json()["error"]["message"]


def test_votes_field_and_order(client: TestClient, world: Votes) -> None:
    assert world.found(client, "votes > 0") == {"a", "b"}
    assert world.found(client, "votes = 2") == {"b"}
    assert world.found(client, "votes >= 1 AND votes < 2") == {"a"}
    assert world.found(client, "votes = 0") == {"c", "d"}
    assert world.found(client, "votes in (0, 2)") == {"b", "c", "d"}
    assert world.found(client, "votes != 1") == {"b", "c", "d"}
    assert world.names(client, "order by votes desc")[:2] == ["b", "a"]
    assert world.names(client, "order by votes asc, created asc")[-2:] == ["a", "b"]


def test_watched_and_voted_issue_functions(client: TestClient, world: Votes) -> None:
    assert world.found(client, "issue in watchedIssues()") == {"a", "d"}
    assert world.found(client, "issue in watchedIssues()", world.member.headers) == {"a", "c"}
    assert world.found(client, "issue not in watchedIssues()") == {"b", "c"}
    assert world.found(client, "issue in votedIssues()", world.viewer.headers) == {"a", "b"}
    assert world.found(client, "issue in votedIssues()", world.member.headers) == {"b"}
    assert world.found(client, "issue in votedIssues()") == set()
    assert world.found(client, "key in watchedIssues() AND votes > 0") == {"a"}


def test_other_organizations_watch_nothing_here(client: TestClient, database_url: str, world: Votes) -> None:
    other = make_org(database_url)
    project = ok(client.post("/v2/projects", json={"key": "ELSE", "name": "Else"}, headers=other.headers), 201)
    mine = ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "x"},
                           headers=other.headers), 201)["id"]
    assert {i["id"] for i in ok(client.post("/v2/search", json={"jql": "issue in watchedIssues()"},
                                             headers=other.headers))["issues"]} == {mine}
    assert ok(client.post("/v2/search", json={"jql": "votes > 0"}, headers=other.headers))["total"] == 0
    unknown = client.post("/v2/search", json={"jql": f'watcher = "{world.member.email}"'}, headers=other.headers)
    assert unknown.status_code == 400, unknown.text
    assert world.member.email not in unknown.json()["error"]["message"].replace(f"'{world.member.email}'", "")
