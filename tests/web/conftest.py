"""Helpers for the page tests: a signed-in browser session on the shared test client.

The `client` fixture is shared by the whole session, so every test here starts and ends
with an empty cookie jar: a page session must never leak into an API test."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support import OrgHandle

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: TestClient, org: OrgHandle) -> str:
    """Signs in through the form; returns the session's CSRF token as the pages carry it."""
    response = client.post("/signin", data={"email": org.admin_email, "password": org.admin_password},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/projects")
    assert page.status_code == 200
    match = CSRF.search(page.text)
    assert match is not None
    return match.group(1)


@pytest.fixture
def web(client: TestClient) -> Iterator[TestClient]:
    client.cookies.clear()
    yield client
    client.cookies.clear()


@pytest.fixture
def csrf(web: TestClient, org: OrgHandle) -> str:
    return sign_in(web, org)


@pytest.fixture
def issue(web: TestClient, org: OrgHandle, project: dict) -> dict:
    response = web.post("/v2/issues", headers=org.headers, json={
        "project_id": project["key"], "issue_type": "Story", "summary": "Checkout fails on Safari",
        "description": "Steps:\n1. open checkout", "labels": ["web", "payments"], "priority": "High"})
    assert response.status_code == 201, response.text
    return response.json()
