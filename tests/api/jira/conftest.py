"""The Jira-compatible API driven by the real `jira` package against a real `tessera serve`
process, one per backend for the whole run, on the session's database (so the usual fixtures make its data)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from jira import JIRA

from tests.factories.servers import serve
from tests.support import KeptForTheRun, OrgHandle, UserHandle

TESSERA = str(Path(sys.executable).with_name("tessera"))


@pytest.fixture(scope="session")
def jira_url(database_url: str, tmp_path_factory: pytest.TempPathFactory, kept: KeptForTheRun) -> str:
    return kept.get(("jira serve", database_url), lambda: _serve(database_url, tmp_path_factory))


def _serve(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AbstractContextManager[str]:
    directory = tmp_path_factory.mktemp("jira-serve")
    # No delivery worker in it: kept for the whole run on the session's database, it would claim
    # and send the deliveries other tests plant there and read back.
    return serve(database_url, directory, env={"TESSERA_ATTACHMENTS_DIR": str(directory),
                                               "TESSERA_RUN_WORKER_IN_SERVER": "false"})


def jira_as(url: str, who: OrgHandle | UserHandle) -> JIRA:
    email = who.admin_email if isinstance(who, OrgHandle) else who.email
    return JIRA(server=url, basic_auth=(email, who.token), max_retries=0, timeout=30)


@pytest.fixture
def jira(jira_url: str, org: OrgHandle) -> Iterator[JIRA]:
    client = jira_as(jira_url, org)
    yield client
    client.close()


@pytest.fixture
def rest(jira_url: str, org: OrgHandle) -> Iterator[httpx.Client]:
    """Plain HTTP, as curl would send it."""
    with httpx.Client(base_url=jira_url, auth=(org.admin_email, org.token), timeout=30) as client:
        yield client


@pytest.fixture
def project(client: TestClient, org: OrgHandle) -> dict:
    response = client.post("/v2/projects", json={"key": "WEB", "name": "Web shop"}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def issue(jira: JIRA, project: dict):  # type: ignore[no-untyped-def]
    """A Bug in the WEB project, made through the `jira` package."""
    return jira.create_issue(project="WEB", summary="Refunds are late", issuetype={"name": "Bug"})
