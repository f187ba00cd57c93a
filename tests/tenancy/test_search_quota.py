"""searches_per_hour: every surface that runs a client's JQL counts against one hourly budget per
organization; past it each answers 429 with Retry-After in its own error shape, and other
organizations keep searching."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.main import create_app
from tests.factories.web import open_session
from tests.support import REDIS_URL, OrgHandle, make_org, set_limits

Search = Callable[[TestClient, OrgHandle], httpx.Response]


def _v2_post(client: TestClient, org: OrgHandle) -> httpx.Response:
    return client.post("/v2/search", json={"jql": "ORDER BY key"}, headers=org.headers)


def _v2_get(client: TestClient, org: OrgHandle) -> httpx.Response:
    return client.get("/v2/search", params={"jql": "ORDER BY key"}, headers=org.headers)


def _jira_post(client: TestClient, org: OrgHandle) -> httpx.Response:
    return client.post("/rest/api/2/search", json={"jql": "ORDER BY key"}, headers=org.headers)


def _jira_get(client: TestClient, org: OrgHandle) -> httpx.Response:
    return client.get("/rest/api/2/search", params={"jql": "ORDER BY key"}, headers=org.headers)


def _graphql(client: TestClient, org: OrgHandle) -> httpx.Response:
    return client.post("/graphql", json={"query": '{ issues(jql: "ORDER BY key") { totalCount } }'},
                       headers=org.headers)


def _v2_shape(response: httpx.Response) -> None:
    assert response.json()["error"]["code"] == "rate_limited"


def _jira_shape(response: httpx.Response) -> None:
    body = response.json()
    assert body["errorMessages"] and "searches per hour" in body["errorMessages"][0]


def _graphql_shape(response: httpx.Response) -> None:
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["retryAfter"] >= 1


SURFACES: dict[str, tuple[Search, Callable[[httpx.Response], None]]] = {
    "v2 POST": (_v2_post, _v2_shape), "v2 GET": (_v2_get, _v2_shape),
    "jira POST": (_jira_post, _jira_shape), "jira GET": (_jira_get, _jira_shape),
    "graphql": (_graphql, _graphql_shape)}


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 3600


@pytest.mark.parametrize("surface", SURFACES)
def test_the_search_past_the_hourly_limit_answers_429(client: TestClient, database_url: str, surface: str) -> None:
    search, shape = SURFACES[surface]
    limited, neighbour = make_org(database_url), make_org(database_url)
    for handle in (limited, neighbour):
        set_limits(database_url, handle.key, searches_per_hour=2)
    assert [search(client, limited).status_code for _ in range(2)] == [200, 200]
    refused = search(client, limited)
    _assert_refused(refused)
    shape(refused)
    # Only searches are counted: the organization's other requests go on.
    assert client.get("/v2/myself", headers=limited.headers).status_code == 200
    assert [search(client, neighbour).status_code for _ in range(2)] == [200, 200]


def test_every_surface_draws_on_one_budget(client: TestClient, database_url: str) -> None:
    limited = make_org(database_url)
    set_limits(database_url, limited.key, searches_per_hour=len(SURFACES))
    assert [search(client, limited).status_code for search, _ in SURFACES.values()] == [200] * len(SURFACES)
    for search, _ in SURFACES.values():
        _assert_refused(search(client, limited))


def test_the_search_page_answers_429(client: TestClient, database_url: str) -> None:
    limited, neighbour = make_org(database_url, password=None), make_org(database_url, password=None)
    set_limits(database_url, limited.key, searches_per_hour=2)
    client.cookies.clear()
    try:
        open_session(client, database_url, limited)
        assert [client.get("/search", params={"jql": "ORDER BY key"}).status_code for _ in range(2)] == [200, 200]
        refused = client.get("/search", params={"jql": "ORDER BY key"})
        _assert_refused(refused)
        assert "searches per hour" in refused.text and "text/html" in refused.headers["content-type"]
        open_session(client, database_url, neighbour)
        assert client.get("/search", params={"jql": "ORDER BY key"}).status_code == 200
    finally:
        client.cookies.clear()


def test_graphql_counts_each_field_that_runs_jql(client: TestClient, database_url: str) -> None:
    limited = make_org(database_url)
    set_limits(database_url, limited.key, searches_per_hour=2)
    assert client.post("/v2/projects", json={"key": "QUOTA", "name": "Quota"},
                       headers=limited.headers).status_code == 201
    query = '{ project(id: "QUOTA") { key issues { key } } issues(jql: "ORDER BY key") { totalCount } }'
    first = client.post("/graphql", json={"query": query}, headers=limited.headers)
    assert first.status_code == 200 and "errors" not in first.json(), first.text
    refused = client.post("/graphql", json={"query": query}, headers=limited.headers)
    _assert_refused(refused)
    assert {tuple(error["path"]) for error in refused.json()["errors"]} >= {("issues",)}


def test_server_processes_share_the_budget_through_redis(settings: Settings, database_url: str) -> None:
    redis = pytest.importorskip("redis")
    probe = redis.Redis.from_url(REDIS_URL)
    try:
        probe.ping()
    except (OSError, redis.ConnectionError) as error:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    finally:
        probe.close()
    # A prefix of its own: organization ids repeat across the test databases.
    shared = replace(settings, redis_url=REDIS_URL, live_channel_prefix=f"test-{uuid.uuid4().hex[:8]}")
    limited, neighbour = make_org(database_url), make_org(database_url)
    for handle in (limited, neighbour):
        set_limits(database_url, handle.key, searches_per_hour=3)
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        assert [_v2_post(first, limited).status_code, _jira_get(second, limited).status_code,
                _graphql(first, limited).status_code] == [200, 200, 200]
        _assert_refused(_v2_get(second, limited))
        _assert_refused(_jira_post(first, limited))
        assert _v2_post(second, neighbour).status_code == 200


def test_board_lists_count_only_with_the_clients_own_jql(client: TestClient, database_url: str) -> None:
    limited = make_org(database_url)
    set_limits(database_url, limited.key, searches_per_hour=2)
    project = client.post("/v2/projects", json={"key": "BOARD", "name": "Board"}, headers=limited.headers).json()
    board = client.post("/v2/boards", json={"name": "Flow", "project_id": project["id"], "type": "kanban"},
                        headers=limited.headers)
    assert board.status_code == 201, board.text
    v2, jira = f"/v2/boards/{board.json()['id']}/issues", f"/rest/agile/1.0/board/{board.json()['id']}/issue"
    # The board's own queries, however often: no search counted.
    assert all(client.get(v2, headers=limited.headers).status_code == 200 for _ in range(3))
    assert all(client.get(jira, headers=limited.headers).status_code == 200 for _ in range(3))
    assert client.get(v2, params={"jql": "type = Task"}, headers=limited.headers).status_code == 200
    assert client.get(jira, params={"jql": "type = Task"}, headers=limited.headers).status_code == 200
    _assert_refused(client.get(v2, params={"jql": "type = Task"}, headers=limited.headers))
    refused = client.get(jira, params={"jql": "type = Task"}, headers=limited.headers)
    _assert_refused(refused)
    _jira_shape(refused)
    assert client.get(jira, headers=limited.headers).status_code == 200
