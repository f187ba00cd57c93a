"""POST/GET /v2/search on both backends: ORDER BY with several keys and the tie break, paging and
totals, fields and expansions, permissions and tenancy."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.search_world import World, found


def test_order_by_several_keys_directions_and_tie_break(client: TestClient, world: World) -> None:
    assert world.names(client, "project = ALPHA ORDER BY created") == ["crash", "migration", "export", "login"]
    assert world.names(client, "project = ALPHA ORDER BY created ASC") == ["login", "export", "migration", "crash"]
    assert world.names(client, "project = ALPHA ORDER BY priority") == ["crash", "login", "migration", "export"]
    assert world.names(client, "project = ALPHA ORDER BY priority asc") == ["export", "migration", "login", "crash"]
    assert world.names(client, "project = ALPHA ORDER BY issuetype, summary DESC") == \
        ["login", "crash", "export", "migration"]
    assert world.names(client, "project = ALPHA ORDER BY due ASC, key DESC") == \
        ["login", "migration", "crash", "export"]
    assert world.names(client, "ORDER BY project DESC, key") == ["secret", "login", "export", "migration", "crash"]
    assert world.names(client, 'project = ALPHA ORDER BY "Story Points" DESC') == \
        ["migration", "crash", "login", "export"]  # empty values first when descending
    # "In Progress" sorts before "To Do"; the admin's display name before "Mia".
    assert world.names(client, "project = ALPHA ORDER BY status, assignee") == \
        ["migration", "login", "export", "crash"]
    # Equal keys fall back to the issue id, so pages never overlap.
    assert world.names(client, "project = ALPHA ORDER BY resolution") == ["login", "export", "migration", "crash"]


def test_paging_total_and_get(client: TestClient, world: World) -> None:
    body = world.search(client, "ORDER BY key", start_at=1, max_results=2)
    assert (body["total"], body["start_at"], body["max_results"], len(body["issues"])) == (5, 1, 2, 2)
    assert body["issues"][0]["key"] == world.keys["export"]
    assert world.search(client, "", max_results=5000)["max_results"] == 1000
    assert world.search(client, "", start_at=10)["issues"] == []
    response = client.get("/v2/search", params={"jql": "labels = backend ORDER BY key", "fields": "summary,labels",
                                                "max_results": 1}, headers=world.org.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 2
    assert set(page["issues"][0]) == {"id", "key", "self", "summary", "labels"}


def test_fields_and_expansions(client: TestClient, world: World) -> None:
    body = world.search(client, f"key = {world.keys['export']}", fields=["summary", "story_points", "status"],
                        expand=["comments", "changelog"])
    [issue] = body["issues"]
    assert issue["summary"] == "Add export button"
    assert issue["custom_fields"] == {"story_points": 3}
    assert issue["self"].endswith(f"/v2/issues/{issue['id']}")
    assert [c["body"] for c in issue["comments"]] == ["Customers keep asking for PDF"]
    assert "changelog" in issue
    full = client.post("/v2/search", json={"jql": "project = BETA"}, headers=world.org.headers).json()
    assert full["issues"][0]["project"]["key"] == "BETA" and "comments" not in full["issues"][0]


def test_permissions_and_tenancy(client: TestClient, world: World) -> None:
    outsider, member = world.outsider.headers, world.member.headers
    assert found(world, client, "", headers=outsider) == {"login", "export", "migration", "crash"}
    assert found(world, client, "summary ~ login", headers=member) == {"login", "secret"}
    assert found(world, client, "summary ~ login", headers=outsider) == {"login"}
    assert found(world, client, "", headers=world.other_org.headers) == {"outside"}
    # Invisible values do not exist: a private project, another organization's project, user or issue.
    for jql, value, field in (("project = BETA", "BETA", "project"), ("project = OTHER", "OTHER", "project"),
                              (f"assignee = '{world.other_org.admin_email}'", world.other_org.admin_email,
                               "assignee"),
                              (f"key = {world.keys['outside']}", world.keys["outside"], "key"),
                              (f"key = {world.keys['secret']}", world.keys["secret"], "key")):
        error = world.error(client, jql, headers=outsider)
        assert error["message"] == f"The value '{value}' does not exist for the field '{field}'.", jql
