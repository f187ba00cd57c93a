"""POST/GET /v2/search: text search, history operators, functions, ORDER BY, paging,
permissions and error messages, on both backends."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.search_world import World, build_world


@pytest.fixture(scope="module")
def world(client: TestClient, database_url: str) -> World:
    return build_world(client, database_url)


def found(world: World, client: TestClient, jql: str, **kwargs: object) -> set[str]:
    return set(world.names(client, jql, **kwargs))


def test_text_search_stems_phrases_and_prefixes(client: TestClient, world: World) -> None:
    assert found(world, client, "summary ~ logged") == {"login"}  # "logging" and "logged" stem alike
    assert found(world, client, "summary ~ login") == {"login", "secret"}
    assert found(world, client, 'summary ~ "\\"login fails\\""') == {"login"}
    assert found(world, client, 'summary ~ "\\"fails login\\""') == set()
    assert found(world, client, "summary ~ 'migrat*'") == {"migration"}
    assert found(world, client, "description ~ error") == {"login"}
    assert found(world, client, "summary ~ error") == set()
    assert found(world, client, "description ~ 'quick fox'") == {"crash"}
    assert found(world, client, "comment ~ customers") == {"export"}
    assert found(world, client, "text ~ pdf") == {"export"}
    assert found(world, client, "text ~ 'stack'") == {"login"}
    assert found(world, client, "summary !~ login AND project = ALPHA") == {"export", "migration", "crash"}
    assert found(world, client, "description is empty") == {"migration", "secret"}


def test_text_search_without_known_comment_hits(client: TestClient, world: World,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a bound, issues with matching comments are a subquery united with the issues' own
    matches rather than a list looked up first: the same answers."""
    monkeypatch.setattr("tessera.jql.search._KNOWN_HITS", -1)
    assert found(world, client, "comment ~ customers") == {"export"}
    assert found(world, client, "text ~ pdf") == {"export"}
    assert found(world, client, "text ~ 'stack'") == {"login"}
    assert found(world, client, "text !~ pdf AND project = ALPHA") == {"login", "migration", "crash"}
    assert found(world, client, "text ~ customers OR summary ~ crash") == {"export", "crash"}


@pytest.mark.parametrize("text", ['"', "'", "*", "a AND (b", "NEAR(a b)", "\\\\", "x:y", "-", "^a", "&|!",
                                  "日本語*", "\"\"\"", "summary:foo", "a\"b", "{summary}: x", "***", "OR"])
def test_text_search_never_breaks_on_user_input(client: TestClient, world: World, text: str) -> None:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    for field in ("summary", "text", "comment", "description"):
        response = client.post("/v2/search", json={"jql": f'{field} ~ "{escaped}"'}, headers=world.org.headers)
        assert response.status_code == 200, (text, response.text)


def test_history_operators(client: TestClient, world: World) -> None:
    # migration: To Do → In Progress on 2026-01-20 by the member; login: To Do → In Progress on 2026-01-03.
    assert found(world, client, "status WAS 'To Do' AND project = ALPHA") == {"login", "export", "migration", "crash"}
    assert found(world, client, "status was 'In Progress'") == {"login", "migration"}
    assert found(world, client, "status was in ('In Progress', Done)") == {"login", "migration"}
    assert found(world, client, "status was not 'In Progress'") == {"export", "crash", "secret"}
    assert found(world, client, "status was 'To Do' before 2026-01-15 AND project = ALPHA") == {"login", "export",
                                                                                                "migration"}
    assert found(world, client, "status was 'To Do' after 2026-01-25 AND project = ALPHA") == {"export", "crash"}
    assert found(world, client, "status was 'To Do' on 2026-01-19") == {"migration", "export", "secret"}
    assert found(world, client, "status was 'In Progress' during (2026-01-02, 2026-01-04)") == {"login"}
    assert found(world, client, f"status was 'In Progress' by {world.member.email}") == {"migration"}
    assert found(world, client, "status changed") == {"login", "migration"}
    assert found(world, client, "status changed from 'To Do' to 'In Progress' after 2026-01-10") == {"migration"}
    assert found(world, client, "status changed before 2026-01-10") == {"login"}
    assert found(world, client, f"status changed by '{world.member.email}'") == {"migration"}
    assert found(world, client, "status changed on 2026-01-03") == {"login"}
    assert found(world, client, "assignee was currentUser()") == {"migration"}
    assert found(world, client, "assignee was empty") == {"export", "crash", "secret"}
    assert found(world, client, "priority was Highest") == {"crash"}
    assert found(world, client, "resolution was empty AND project = BETA") == {"secret"}
    assert found(world, client, 'fixVersion was "1.0"') == {"login"}
    assert found(world, client, "priority changed") == set()


def test_functions(client: TestClient, world: World) -> None:
    login, crash = world.keys["login"], world.keys["crash"]
    assert found(world, client, f"issue in linkedIssues({login})") == {"crash"}
    assert found(world, client, f'issue in linkedIssues({crash}, "blocks")') == {"login"}
    assert found(world, client, f'issue in linkedIssues({crash}, "is blocked by")') == set()
    assert found(world, client, f"issue in updatedBy('{world.member.email}')") == {"migration"}
    assert found(world, client, f"issue in updatedBy('{world.member.email}', 2026-01-21, '2030-01-01')") == set()
    assert found(world, client, "issue in votedIssues() OR issue in issueHistory()") == set()
    assert found(world, client, "issue in watchedIssues()") == found(world, client, "")  # the reporter watches
    assert found(world, client, "sprint in openSprints() OR sprint in closedSprints() OR sprint in futureSprints()") \
        == set()
    assert found(world, client, "created > startOfMonth(-1200) AND created < endOfYear('+1y')") == \
        found(world, client, "")
    assert found(world, client, "created >= startOfWeek(-1w) AND created <= endOfDay()") == {"crash"}


def test_functions_as_arguments(client: TestClient, world: World) -> None:
    """currentUser() and the date functions stand for their one value inside another function."""
    member = world.member.headers
    assert found(world, client, "issue in updatedBy(currentUser())", headers=member) == {"migration"}
    assert found(world, client, "issue in updatedBy(currentUser(), startOfYear(-20), now())",
                 headers=member) == {"migration"}
    assert found(world, client, "issue in updatedBy(currentUser(), endOfDay())", headers=member) == set()
    assert found(world, client, "issue in updatedBy(currentUser())") == \
        found(world, client, f"issue in updatedBy('{world.org.admin_email}')") != set()
    error = world.error(client, "issue in updatedBy(openSprints())")
    assert "openSprints" in error["message"] and "argument" in error["message"]


def test_members_of_a_group(client: TestClient, world: World) -> None:
    assert world.error(client, 'assignee in membersOf("nobody-here")')["message"] == (
        "Function 'membersOf' can not generate a list of usernames for group 'nobody-here'; the group does not "
        "exist.")


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


@pytest.mark.parametrize(("jql", "message", "column"), [
    ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it.", 1),
    ("project = XYZ", "The value 'XYZ' does not exist for the field 'project'.", 11),
    ("status ~ open", "The operator '~' is not supported by the 'status' field.", 1),
    ("summary = x", "The operator '=' is not supported by the 'summary' field.", 1),
    ("labels > a", "The operator '>' is not supported by the 'labels' field.", 1),
    ("status = foo()", "Unable to find JQL function 'foo()'.", 10),
    ("created = currentUser()", "A value provided by the function 'currentUser' is invalid for the field 'created'.",
     11),
    ("created > 'yesterday'", "Date value 'yesterday' for field 'created' is invalid.", 11),
    ("project = ALPHA ORDER BY labels", "Field 'labels' does not support sorting.", 26),
    ("labels changed", "History searches are not supported for the field 'labels'.", 1),
    ('"Story Points" > many', "The value 'many' is not a valid number for the field 'Story Points'.", 18),
    ("cf[99999] = 1", "Field 'cf[99999]' does not exist or you do not have permission to view it.", 1),
    ("project = ALPHA AND foo", "Expecting operator but got the end of the query.", None),
    ("project = ALPHA foo", "Expecting either 'OR' or 'AND' but got 'foo'.", 17),
    ("filter = 'no such filter'", "The value 'no such filter' does not exist for the field 'filter'.", None),
])
def test_errors_name_the_problem_and_where(client: TestClient, world: World, jql: str, message: str,
                                          column: int | None) -> None:
    error = world.error(client, jql)
    assert message in error["message"]
    if column is not None:
        assert error["column"] == column, error
