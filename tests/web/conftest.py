"""Helpers for the page tests: a signed-in browser session on the shared test client.

The `client` fixture is shared by the whole session, so every test here starts and ends
with an empty cookie jar: a page session must never leak into an API test.

Argon2 is slow on purpose, so organizations here have no password and sessions are opened
through the domain (tests/factories/web.py); test_signin.py signs in through the form with real passwords."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.factories.web import open_session
from tests.support import OrgHandle, make_org


@pytest.fixture
def org(database_url: str) -> OrgHandle:
    return make_org(database_url, password=None)


@pytest.fixture
def other_org(database_url: str) -> OrgHandle:
    return make_org(database_url, password=None)


@pytest.fixture
def web(client: TestClient) -> Iterator[TestClient]:
    client.cookies.clear()
    yield client
    client.cookies.clear()


@pytest.fixture
def csrf(web: TestClient, database_url: str, org: OrgHandle) -> str:
    return open_session(web, database_url, org)


@pytest.fixture
def issue(web: TestClient, org: OrgHandle, project: dict) -> dict:
    response = web.post("/v2/issues", headers=org.headers, json={
        "project_id": project["key"], "issue_type": "Story", "summary": "Checkout fails on Safari",
        "description": "Steps:\n1. open checkout", "labels": ["web", "payments"], "priority": "High"})
    assert response.status_code == 201, response.text
    return response.json()
