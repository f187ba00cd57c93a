"""Helpers for the GraphQL tests: send an operation, read its data or its errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


class GraphQL:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(self, query: str, variables: dict | None = None, *, headers: dict | None = None,
             status: int = 200) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                    headers=headers or {})
        assert response.status_code == status, response.text
        return response.json()

    def data(self, query: str, variables: dict | None = None, *, headers: dict | None = None) -> dict[str, Any]:
        """The data of an operation that must succeed without any error."""
        body = self.post(query, variables, headers=headers)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, query: str, variables: dict | None = None, *, headers: dict | None = None,
               status: int = 200) -> list[dict[str, Any]]:
        body = self.post(query, variables, headers=headers, status=status)
        assert body.get("errors"), body
        return body["errors"]


@pytest.fixture
def gql(client: TestClient) -> GraphQL:
    return GraphQL(client)
