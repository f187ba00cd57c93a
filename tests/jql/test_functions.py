"""JQL functions through /v2/search on both backends, also as arguments of other functions, and
membersOf() groups."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.search_world import World, found


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
