"""Helpers for the page tests: a signed-in browser session on the shared test client.

The `client` fixture is shared by the whole session, so every test here starts and ends
with an empty cookie jar: a page session must never leak into an API test.

Argon2 is slow on purpose, so organizations here have no password and sessions are opened
through the domain; test_signin.py signs in through the form with real passwords."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.tenancy.auth import authenticate_token, do_create_web_session
from tests.support import OrgHandle, make_org

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


async def _open_session(database_url: str, org: OrgHandle) -> str:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            actor = await authenticate_token(session, org.token)
            return await do_create_web_session(session, actor=actor, ttl=timedelta(hours=1))
    finally:
        await database.dispose()


def open_session(client: TestClient, database_url: str, org: OrgHandle) -> str:
    """Signs the client in as the org's admin without a password; returns the CSRF token."""
    client.cookies.set("tessera_session", asyncio.run(_open_session(database_url, org)))
    page = client.get("/projects")
    assert page.status_code == 200, page.text
    match = CSRF.search(page.text)
    assert match is not None
    return match.group(1)


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
