"""Helpers for the page tests: a signed-in browser session on the shared test client.

The `client` fixture is shared by the whole session, so every test here starts and ends
with an empty cookie jar: a page session must never leak into an API test.

Organizations here have no password and sessions are opened through the domain
(tests/factories/web.py); test_signin.py signs in through the form with real passwords. The
browser journeys share one server per test process (tests/web/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.factories.servers import serve
from tests.factories.web import open_session
from tests.support import KeptForTheRun, OrgHandle, fresh_sqlite_database, make_org
from tests.web.browser import LiveServer, chromium, new_organization, require_browser


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


@pytest.fixture(scope="session")
def browser_database_url(tmp_path_factory: pytest.TempPathFactory, kept: KeptForTheRun) -> str:
    """The database of the process's browser server (SQLite, the embedded default users run)."""
    return kept.get("browser database", lambda: fresh_sqlite_database(str(tmp_path_factory.mktemp("browser"))))


@pytest.fixture(scope="session")
def browser_server_url(browser_database_url: str, tmp_path_factory: pytest.TempPathFactory,
                       kept: KeptForTheRun) -> str:
    return kept.get("browser server", lambda: serve(browser_database_url, tmp_path_factory.mktemp("browser-serve")))


@pytest.fixture(scope="module")
def live_server(browser_server_url: str, browser_database_url: str) -> LiveServer:
    """The module's own organization (with a Storefront project keyed SHOP) on the shared server."""
    require_browser()
    return new_organization(browser_server_url, browser_database_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_browser()
    with chromium() as launched:
        yield launched
