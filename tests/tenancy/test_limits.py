"""Organization limits: the request rate answered 429 with Retry-After, the users quota, and the
rate limiter shared through Redis (two limiters, two server processes, count together)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as redis
from fastapi.testclient import TestClient

from tessera.errors import RateLimited
from tessera.tenancy.limits import RateLimiter
from tests.support import (
    REDIS_URL,
    make_org,
    make_user,
    set_limits,
)


def test_rate_limit_answers_429_with_retry_after(client: TestClient, database_url: str) -> None:
    limited, neighbour = make_org(database_url), make_org(database_url)
    set_limits(database_url, limited.key, requests_per_minute=5)
    statuses = []
    for _ in range(12):
        response = client.get("/v2/myself", headers=limited.headers)
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    # Five per window; a window may roll over once during the loop.
    assert 5 <= statuses.count(200) <= 10, statuses
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "rate_limited"
    again = client.post("/v2/projects", json={"key": "RATE", "name": "x"}, headers=limited.headers)
    assert again.status_code == 429 and "Retry-After" in again.headers
    assert client.get("/v2/projects/RATE", headers=neighbour.headers).status_code == 404
    assert all(client.get("/v2/myself", headers=neighbour.headers).status_code == 200 for _ in range(6))


def test_refusals_past_the_limit_come_before_anything_is_read(client: TestClient, database_url: str) -> None:
    """Once refused, an organization's requests are refused in front of the app
    (tessera.edge.early_refusal): a body that would be a 400 or 422 is never read, every edge
    answers in its own shape with Retry-After and a request id, and a neighbour is served."""
    limited, neighbour = make_org(database_url), make_org(database_url)
    set_limits(database_url, limited.key, requests_per_minute=3)
    for _ in range(8):
        if client.get("/v2/myself", headers=limited.headers).status_code == 429:
            break
    broken = {**limited.headers, "Content-Type": "application/json"}
    v2 = client.post("/v2/issues", headers=broken, content=b"{not json")
    assert v2.status_code == 429 and v2.json()["error"]["code"] == "rate_limited", v2.text
    assert 1 <= int(v2.headers["Retry-After"]) <= 60 and v2.headers["X-Request-Id"]
    jira = client.post("/rest/api/2/issue", headers=broken, content=b"{not json")
    assert jira.status_code == 429 and "requests per minute" in jira.json()["errorMessages"][0], jira.text
    graphql = client.post("/graphql", headers=broken, content=b"{not json")
    assert graphql.status_code == 429 and graphql.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert client.post("/v2/issues", headers={**neighbour.headers, "Content-Type": "application/json"},
                       content=b"{not json").status_code in (400, 422)
    assert client.get("/v2/myself", headers=neighbour.headers).status_code == 200


def test_max_users_quota_refuses_new_users(client: TestClient, database_url: str) -> None:
    small = make_org(database_url)
    set_limits(database_url, small.key, max_users=2)
    first = client.post("/v2/users", json={"email": "one@small.test", "name": "One"}, headers=small.headers)
    assert first.status_code == 201, first.text
    refused = client.post("/v2/users", json={"email": "two@small.test", "name": "Two"}, headers=small.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "quota_exceeded"
    users = client.get("/v2/users", headers=small.headers).json()
    assert users["total"] == 2 and "two@small.test" not in {u["email"] for u in users["users"]}
    with pytest.raises(Exception, match="limit of 2 users"):
        make_user(database_url, small)


async def _client() -> redis.Redis:
    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.ConnectionError) as error:
        await client.aclose()
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    return client


def test_two_processes_share_one_budget() -> None:
    async def scenario() -> None:
        first, second = await _client(), await _client()
        organization_id = int(uuid.uuid4().int % 10**12)
        try:
            a, b = RateLimiter(first), RateLimiter(second)
            for _ in range(3):
                await a.hit(organization_id, 6)
                await b.hit(organization_id, 6)
            with pytest.raises(RateLimited) as refused:
                await a.hit(organization_id, 6)
            assert 1 <= refused.value.retry_after <= 60
            await b.hit(organization_id + 1, 6)  # another organization has its own budget
        finally:
            await first.aclose()
            await second.aclose()

    asyncio.run(scenario())
