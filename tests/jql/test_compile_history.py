"""History operators (WAS, CHANGED with their predicates) through /v2/search on both backends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.search_world import World, found


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
