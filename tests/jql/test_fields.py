"""POST /v2/search over a small dated dataset, on both backends: one test per field family."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.search_world import World, found


def test_project_type_status_and_category(client: TestClient, world: World) -> None:
    assert found(world, client, "project = ALPHA") == {"login", "export", "migration", "crash"}
    assert found(world, client, "project = 'alpha project'") == {"login", "export", "migration", "crash"}
    assert found(world, client, "project in (alpha, BETA) AND type = Task") == {"migration", "secret"}
    assert found(world, client, "issuetype != Bug AND project = ALPHA") == {"export", "migration"}
    assert found(world, client, 'status = "In Progress"') == {"migration", "login"}
    assert found(world, client, "status IN ('to do') AND project = ALPHA") == {"export", "crash"}
    assert found(world, client, 'statusCategory = "In Progress"') == {"migration", "login"}
    assert found(world, client, "statusCategory != indeterminate") == {"export", "crash", "secret"}
    assert found(world, client, "statusCategory = new AND project = BETA") == {"secret"}


def test_priority_compares_by_importance(client: TestClient, world: World) -> None:
    assert found(world, client, "priority = high") == {"login"}
    assert found(world, client, "priority > Medium") == {"login", "crash"}
    assert found(world, client, "priority >= Medium AND project = ALPHA") == {"login", "crash", "migration"}
    assert found(world, client, "priority < Medium") == {"export"}
    assert found(world, client, "priority in (Highest, Low)") == {"crash", "export"}


def test_users_by_email_name_id_and_functions(client: TestClient, world: World) -> None:
    email = world.member.email
    assert found(world, client, f'assignee = "{email.upper()}"') == {"login"}
    assert found(world, client, f"assignee = {world.member.user_id}") == {"login"}
    assert found(world, client, "assignee = Mia") == {"login"}
    assert found(world, client, "assignee = currentUser()") == {"migration"}
    assert found(world, client, "assignee IS EMPTY") == {"export", "crash", "secret"}
    assert found(world, client, "assignee = EMPTY") == {"export", "crash", "secret"}
    assert found(world, client, "assignee != currentUser()") == {"login"}  # never the unassigned
    assert found(world, client, "NOT assignee = currentUser()") == {"login", "export", "crash", "secret"}
    assert found(world, client, "assignee is not empty") == {"login", "migration"}
    assert found(world, client, "reporter = currentUser() AND creator = currentUser() AND project = BETA") \
        == {"secret"}


def test_resolution_unresolved_is_empty(client: TestClient, world: World) -> None:
    assert len(found(world, client, "resolution = Unresolved")) == 5
    assert found(world, client, "resolution is not empty") == set()
    assert found(world, client, "resolution != Unresolved") == set()
    assert found(world, client, "resolution in (Unresolved, Fixed) AND project = BETA") == {"secret"}


def test_multi_valued_fields(client: TestClient, world: World) -> None:
    assert found(world, client, "labels = backend") == {"login", "crash"}
    assert found(world, client, "labels in (frontend, urgent)") == {"login", "export"}
    assert found(world, client, "labels != urgent") == {"crash", "export"}  # has labels, none of them urgent
    assert found(world, client, "labels not in (backend)") == {"export"}
    assert found(world, client, "labels is empty") == {"migration", "secret"}
    assert found(world, client, "labels is not empty") == {"login", "export", "crash"}
    assert found(world, client, "component = backend") == {"login"}
    assert found(world, client, "component is empty and project = ALPHA") == {"export", "migration", "crash"}
    assert found(world, client, 'fixVersion = "1.0"') == {"login"}
    assert found(world, client, 'fixVersion != "1.0"') == set()
    assert found(world, client, "affectedVersion is not empty") == set()


def test_dates_absolute_relative_and_functions(client: TestClient, world: World) -> None:
    assert found(world, client, 'created >= "2026/01/05" AND created < "2026-01-10"') == {"export"}
    assert found(world, client, 'created <= "2026-01-02 00:00"') == {"login", "secret"}
    assert found(world, client, "created >= -30d") == {"crash"}
    assert found(world, client, 'created > "-1w 2d"') == {"crash"}
    assert found(world, client, "createdDate > startOfDay(-3)") == {"crash"}
    assert found(world, client, "created < startOfYear(-100)") == set()
    assert found(world, client, "updated >= 2026-01-20 AND updated < endOfDay()") >= {"migration"}
    assert found(world, client, "due < 2026-01-31") == {"login"}
    assert found(world, client, "duedate = 2026-02-01") == {"migration"}
    assert found(world, client, "due is empty") == {"export", "crash", "secret"}
    assert found(world, client, "due < now() AND statusCategory != Done") == {"login", "migration"}
    assert found(world, client, "resolved is empty") == found(world, client, "")


def test_keys_ids_parent_links_and_custom_fields(client: TestClient, world: World) -> None:
    login, crash = world.keys["login"], world.keys["crash"]
    assert found(world, client, f"key = {login.lower()}") == {"login"}
    assert found(world, client, f"issue in ({login}, {world.ids['crash']})") == {"login", "crash"}
    assert found(world, client, f"key > {login} AND key <= {crash}") == {"export", "migration", "crash"}
    assert found(world, client, "parent is empty") == found(world, client, "")
    assert found(world, client, "issueLinkType = blocks") == {"crash"}
    assert found(world, client, '"issueLinkType" = "is blocked by"') == {"login"}
    assert found(world, client, "issueLinkType in (blocks, \"is blocked by\")") == {"crash", "login"}
    assert found(world, client, "issueLinkType = Relates") == set()
    assert found(world, client, "issueLinkType is empty AND project = ALPHA") == {"export", "migration"}
    assert found(world, client, '"Story Points" >= 4') == {"login"}
    fields = client.get("/v2/fields", headers=world.org.headers).json()["fields"]
    points = next(f for f in fields if f.get("key") == "story_points")["id"]  # customfield_100NN
    assert found(world, client, f"cf[{points.removeprefix('customfield_')}] = 3") == {"export"}
    assert found(world, client, f"{points} > 4") == {"login"}
    assert found(world, client, "story_points in (3, 5)") == {"login", "export"}
    assert found(world, client, '"story points" is empty AND project = ALPHA') == {"migration", "crash"}
    assert found(world, client, "sprint is empty") == found(world, client, "")
    # Reporters watch their issues: the admin reported all of them (tests/jql/test_watch_vote_search.py has more).
    assert found(world, client, "watcher is empty") == set()
    assert found(world, client, "watcher = currentUser()") == found(world, client, "")
    assert found(world, client, "votes > 0") == set()
    assert found(world, client, "votes = 0") == found(world, client, "")


def test_and_or_not_precedence(client: TestClient, world: World) -> None:
    assert found(world, client, "labels = frontend OR labels = urgent AND priority = Low") == {"export"}
    assert found(world, client, "(labels = frontend OR labels = urgent) AND priority = Low") == {"export"}
    assert found(world, client, "NOT (project = ALPHA OR project = BETA)") == set()
    assert found(world, client, "project = ALPHA && !(labels = backend) || key = BETA-1") \
        == {"export", "migration", "secret"}
