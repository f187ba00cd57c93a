"""The /graphql endpoint itself: GraphiQL for browsers, queries over GET and POST, and clear
JSON errors (never plain text, never a 500) for requests that are not GraphQL at all, for
unauthenticated callers and for callers over their rate limit."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.graphql.conftest import GraphQL
from tests.support import OrgHandle, set_limits


def test_graphiql_is_served_to_browsers(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower() and "X-CSRF-Token" not in page.text
    assert "/graphql" not in client.get("/v2/openapi.json").json()["paths"]


def test_queries_over_get_and_post(client: TestClient, org: OrgHandle) -> None:
    over_get = client.get("/graphql", params={"query": "{ viewer { email } organization { key } }"},
                          headers=org.headers)
    assert over_get.status_code == 200, over_get.text
    assert over_get.json()["data"] == {"viewer": {"email": org.admin_email}, "organization": {"key": org.key}}
    mutation = client.get("/graphql", params={"query": 'mutation { addComment(issueId: "1", body: "x") { id } }'},
                          headers=org.headers)
    assert 400 <= mutation.status_code < 500 and mutation.json()["errors"]


def test_requests_that_are_not_graphql_get_json_errors(client: TestClient, org: OrgHandle) -> None:
    for kwargs in ({"content": b"{not json", "headers": {"content-type": "application/json"}},
                   {"json": {"variables": {}}}, {"json": {"query": 42}},
                   {"content": b"query=1", "headers": {"content-type": "application/x-www-form-urlencoded"}}):
        headers = {**org.headers, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        response = client.post("/graphql", headers=headers, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 400, (kwargs, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_syntax_and_schema_errors_are_named(gql: GraphQL, org: OrgHandle) -> None:
    [error] = gql.errors("{ viewer { email ", headers=org.headers)
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED" and error["locations"]
    [error] = gql.errors("{ viewer { password } }", headers=org.headers)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" and "password" in error["message"]


def test_authentication_failures_answer_401_and_the_rate_limit_429(client: TestClient, gql: GraphQL,
                                                                 database_url: str, org: OrgHandle) -> None:
    for headers in ({}, {"Authorization": "Bearer tsr_not-a-token"}, {"Authorization": "Token x"}):
        body = gql.post("{ viewer { email } projects { key } }", headers=headers, status=401)
        assert body["data"] is None
        assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}
    set_limits(database_url, org.key, requests_per_minute=2)
    statuses = [client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=org.headers)
                for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[-1].headers["Retry-After"].isdigit()
    assert statuses[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
