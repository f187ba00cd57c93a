"""Concurrent writers against a real `tessera serve` process, on SQLite and on PostgreSQL:
optimistic concurrency loses no update, and issue keys are allocated without gaps or repeats."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.factories.servers import Server, client_for, make_project, run_server
from tests.support import fresh_postgres_database, unique_key

pytestmark = pytest.mark.slow

CLIENTS = 20


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           postgres_skip_reason: str | None) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("concurrency")
    if request.param == "postgres":
        if postgres_skip_reason:
            pytest.skip(postgres_skip_reason)
        with fresh_postgres_database() as url:
            yield from run_server(url, directory)
    else:
        yield from run_server(f"sqlite:///{directory}/tessera.db", directory)


async def test_concurrent_updates_lose_nothing(server: Server) -> None:
    async with client_for(server) as client:
        project = await make_project(client)
        created = await client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                        "summary": "Contended"})
        assert created.status_code == 201, created.text
        issue_url = f"/v2/issues/{created.json()['id']}"

    async def add_label(index: int) -> int:
        """Read, PUT with the version read, re-read and retry on 409; returns the conflicts met."""
        conflicts = 0
        async with client_for(server) as client:
            while True:
                current = (await client.get(issue_url)).json()
                labels = sorted({*current["labels"], f"client-{index}"})
                response = await client.put(issue_url, json={"labels": labels, "version": current["version"]})
                if response.status_code == 200:
                    assert response.json()["version"] == current["version"] + 1
                    return conflicts
                assert response.status_code == 409, response.text
                conflicts += 1
                assert conflicts < 200, "no progress"

    await asyncio.gather(*(add_label(i) for i in range(CLIENTS)))
    successes = CLIENTS
    async with client_for(server) as client:
        issue = (await client.get(issue_url)).json()
        changelog = (await client.get(f"{issue_url}/changelog")).json()
    assert issue["labels"] == sorted(f"client-{i}" for i in range(CLIENTS))
    assert issue["version"] == 1 + successes
    assert changelog["total"] == successes == len(changelog["histories"])
    # Each history group moves the labels on from exactly where the previous one left them.
    previous = None
    for history in changelog["histories"]:
        [item] = [i for i in history["items"] if i["field"] == "labels"]
        assert item["from_string"] == previous
        assert len((item["to_string"] or "").split()) == len((previous or "").split()) + 1
        previous = item["to_string"]
    assert sorted(previous.split()) == issue["labels"]


async def test_concurrent_creates_get_distinct_consecutive_keys(server: Server) -> None:
    async with client_for(server) as client:
        project = await make_project(client)

    async def create(index: int) -> httpx.Response:
        async with client_for(server) as client:
            return await client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                         "summary": f"Parallel {index}"})

    responses = await asyncio.gather(*(create(i) for i in range(CLIENTS)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    keys = [r.json()["key"] for r in responses]
    assert sorted(keys, key=lambda k: int(k.rsplit("-", 1)[1])) == [f"{project['key']}-{n}"
                                                                     for n in range(1, CLIENTS + 1)]
    assert len({r.json()["id"] for r in responses}) == CLIENTS
    async with client_for(server) as client:
        after = (await client.get(f"/v2/projects/{project['id']}")).json()
        assert after["issue_count_estimate"] == CLIENTS
        for key in keys:
            assert (await client.get(f"/v2/issues/{key}")).json()["key"] == key


async def _race(server: Server, url: str, bodies: list[dict], headers: dict[str, str]) -> list[int]:
    """Every writer sends its PUT at once, each over its own connection."""
    clients = [client_for(server) for _ in bodies]
    try:
        responses = await asyncio.gather(*(client.put(url, json=body, headers=headers)
                                           for client, body in zip(clients, bodies, strict=True)))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return sorted(r.status_code for r in responses)


async def test_concurrent_writers_with_one_precondition_get_one_success_and_the_same_refusal(
        server: Server) -> None:
    """Losers that lost inside the guarded UPDATE answer like those that saw the new version at
    the pre-check: 412 for a stale If-Match, 409 for a stale `version` in the body."""
    async with client_for(server) as client:
        project = await make_project(client)
        created = await client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                        "summary": "Raced"})
        assert created.status_code == 201, created.text
        issue_url = f"/v2/issues/{created.json()['id']}"
        comment = await client.post(f"{issue_url}/comments", json={"body": "first"})
        assert comment.status_code == 201, comment.text
        comment_url = f"{issue_url}/comments/{comment.json()['id']}"
        read_issue, read_comment = await client.get(issue_url), await client.get(comment_url)
    expected = [200] + [412] * (CLIENTS - 1)
    summaries = [{"summary": f"Writer {i}"} for i in range(CLIENTS)]
    assert await _race(server, issue_url, summaries, {"If-Match": read_issue.headers["ETag"]}) == expected
    texts = [{"body": f"Writer {i}"} for i in range(CLIENTS)]
    assert await _race(server, comment_url, texts, {"If-Match": read_comment.headers["ETag"]}) == expected
    names = [{"name": f"Writer {i}"} for i in range(CLIENTS)]
    assert await _race(server, f"/v2/projects/{project['id']}", names,
                       {"If-Match": f'"{project["version"]}"'}) == expected

    async with client_for(server) as client:
        issue = (await client.get(issue_url)).json()
        now_comment = (await client.get(comment_url)).json()
        now_project = (await client.get(f"/v2/projects/{project['id']}")).json()
    expected = [200] + [409] * (CLIENTS - 1)
    assert await _race(server, issue_url, [{**body, "summary": body["summary"] + "!", "version": issue["version"]}
                                           for body in summaries], {}) == expected
    assert await _race(server, comment_url, [{"body": f"Again {i}", "version": now_comment["version"]}
                                             for i in range(CLIENTS)],
                       {}) == expected
    assert await _race(server, f"/v2/projects/{project['id']}",
                       [{"name": f"Renamed {i}", "version": now_project["version"]} for i in range(CLIENTS)],
                       {}) == expected


async def test_concurrent_creates_with_one_idempotency_key_create_once(server: Server) -> None:
    """The second of two requests with one key waits for the first's transaction, then replays it."""
    async with client_for(server) as client:
        project = await make_project(client)
    body = {"project_id": project["id"], "issue_type": "Task", "summary": "Sent many times"}
    headers = {"Idempotency-Key": unique_key("IDEM")}

    async def create() -> httpx.Response:
        async with client_for(server) as client:
            return await client.post("/v2/issues", json=body, headers=headers)

    responses = await asyncio.gather(*(create() for _ in range(CLIENTS)))
    assert [r.status_code for r in responses] == [201] * CLIENTS, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == CLIENTS - 1
    async with client_for(server) as client:
        found = await client.post("/v2/search", json={"jql": f"project = {project['key']}", "max_results": 0})
    assert found.json()["total"] == 1
