"""The rate limit is settled before the request's transaction opens, on every transport: the
limiter (Redis in production) is consulted with no database connection checked out, and a
refused request takes no connection after it (tessera.edge.context)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tessera.db.engine import Database
from tessera.errors import RateLimited
from tessera.tenancy.actor import Actor
from tessera.tenancy.limits import RateLimiter
from tests.support import OrgHandle


@dataclass
class Witness:
    """A limiter that notes how many connections are checked out when it is asked, and counts
    the checkouts that follow a refusal."""

    database: Database
    refuse: bool = False
    seen_checked_out: list[int] = field(default_factory=list)
    searches_checked_out: list[int] = field(default_factory=list)
    checkouts_after_refusal: int = 0
    refused: bool = False

    def checked_out(self) -> int:
        engines = {self.database.write_engine, self.database.read_engine}
        return sum(engine.pool.checkedout() for engine in engines)

    def on_checkout(self, *_: object) -> None:
        if self.refused:
            self.checkouts_after_refusal += 1


class WitnessLimiter(RateLimiter):
    def __init__(self, witness: Witness) -> None:
        super().__init__()
        self.witness = witness

    async def hit(self, organization_id: int, limit: int) -> None:
        self.witness.seen_checked_out.append(self.witness.checked_out())
        if self.witness.refuse:
            self.witness.refused = True
            raise RateLimited("Refused by the test.", retry_after=7)
        await super().hit(organization_id, limit)

    async def check_search_quota(self, actor: Actor) -> None:
        self.witness.searches_checked_out.append(self.witness.checked_out())
        await super().check_search_quota(actor)


@pytest.fixture
def witness(client: TestClient) -> Iterator[Witness]:
    state = client.app.state  # type: ignore[attr-defined]
    seen = Witness(state.database)
    limiter, state.limiter = state.limiter, WitnessLimiter(seen)
    engines = {seen.database.write_engine, seen.database.read_engine}
    for engine in engines:
        event.listen(engine.sync_engine.pool, "checkout", seen.on_checkout)
    client.cookies.clear()
    try:
        yield seen
    finally:
        state.limiter = limiter
        client.cookies.clear()
        for engine in engines:
            event.remove(engine.sync_engine.pool, "checkout", seen.on_checkout)


REQUESTS = {
    "v2 read": ("GET", "/v2/myself", None),
    "v2 write": ("POST", "/v2/projects", {"key": "EDGE", "name": "Edge"}),
    "jira read": ("GET", "/rest/api/2/myself", None),
    "jira write": ("POST", "/rest/api/2/project", {"key": "EDGJ", "name": "Edge", "projectTypeKey": "software"}),
    "graphql read": ("POST", "/graphql", {"query": "{ viewer { email } }"}),
    "graphql write": ("POST", "/graphql", {"query": 'mutation { addComment(issueId: "NOPE-1", body: "x") { id } }'}),
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_limiter_is_asked_with_no_connection_checked_out(client: TestClient, org: OrgHandle, witness: Witness,
                                                            name: str) -> None:
    method, path, body = REQUESTS[name]
    # A new organization's token is not cached yet: authentication reads the database first.
    client.request(method, path, json=body, headers=org.headers)
    assert witness.seen_checked_out, "the limiter was not consulted"
    assert set(witness.seen_checked_out) == {0}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_a_refused_request_opens_no_transaction(client: TestClient, org: OrgHandle, witness: Witness,
                                               name: str) -> None:
    method, path, body = REQUESTS[name]
    witness.refuse = True
    response = client.request(method, path, json=body, headers=org.headers)
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == "7"
    assert witness.seen_checked_out == [0]
    assert witness.checkouts_after_refusal == 0


def test_a_browser_session_is_limited_before_its_transaction(client: TestClient, org: OrgHandle,
                                                             witness: Witness) -> None:
    """Sessions are never cached: the session's read comes first, then the limiter, then the page."""
    login = client.post("/v2/session", json={"email": org.admin_email, "password": org.admin_password})
    assert login.status_code == 200, login.text
    assert client.get("/v2/myself").status_code == 200
    assert client.get("/projects").status_code == 200
    assert len(witness.seen_checked_out) == 2 and set(witness.seen_checked_out) == {0}
    witness.refuse = True
    assert client.get("/projects").status_code == 429
    assert witness.checkouts_after_refusal == 0


SEARCHES = {
    "v2": ("POST", "/v2/search", {"jql": "ORDER BY key"}),
    "jira": ("POST", "/rest/api/2/search", {"jql": "ORDER BY key"}),
    "graphql": ("POST", "/graphql", {"query": '{ issues(jql: "ORDER BY key") { totalCount } }'}),
}


@pytest.mark.parametrize("name", list(SEARCHES))
def test_the_search_quota_is_counted_before_the_transaction(client: TestClient, org: OrgHandle, witness: Witness,
                                                            name: str) -> None:
    method, path, body = SEARCHES[name]
    response = client.request(method, path, json=body, headers=org.headers)
    assert response.status_code == 200, response.text
    assert witness.searches_checked_out == [0]
