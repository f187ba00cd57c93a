"""The Jira-compatible API driven by the real `jira` package against a real `tessera serve`
process, one per backend, on the session's database (so the usual fixtures make its data)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from jira import JIRA

import tessera
from tests.factories.ports import free_port
from tests.support import OrgHandle, UserHandle

TESSERA = str(Path(sys.executable).with_name("tessera"))


@pytest.fixture(scope="session")
def jira_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    directory = tmp_path_factory.mktemp("jira-serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(TESSERA_LOG_LEVEL="WARNING", TESSERA_BASE_URL=base_url, TESSERA_ATTACHMENTS_DIR=str(directory))
    # The server runs the very code under test (the checkout these tests import), not an installed copy.
    env["PYTHONPATH"] = os.pathsep.join([str(Path(tessera.__file__).parents[1]), env.get("PYTHONPATH", "")])
    log = directory / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen([TESSERA, "serve", "--port", str(port), "--database-url", database_url],
                                   stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 90  # a loaded two-core machine can take most of a minute
        while True:
            if process.poll() is not None:
                raise AssertionError(f"tessera serve exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"tessera serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        text = log.read_text()
        assert "Traceback" not in text, text[-5000:]


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
