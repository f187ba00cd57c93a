"""The `tessera` command as users run it: subprocesses against a temporary SQLite file and a
fresh PostgreSQL database."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.main import create_app
from tests.factories.servers import STARTUP_SECONDS
from tests.support import empty_postgres_database, fetch_rows, unique_key

pytestmark = pytest.mark.slow

TESSERA = str(Path(sys.executable).with_name("tessera"))


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}


def tessera(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TESSERA, *args, "--database-url", database_url], capture_output=True, text=True,
                          env=cli_env(), timeout=120, check=False)


def assert_clean_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def cli_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 postgres_skip_reason: str | None) -> Iterator[str]:
    """An empty database: no schema until `tessera migrate` runs."""
    if request.param == "postgres":
        if postgres_skip_reason:
            pytest.skip(postgres_skip_reason)
        with empty_postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('cli')}/tessera.db"


@pytest.fixture(scope="module")
def migrated(cli_database: str) -> str:
    first = tessera("migrate", database_url=cli_database)
    assert first.returncode == 0, first.stderr
    assert "migrated" in first.stdout
    again = tessera("migrate", database_url=cli_database)
    assert again.returncode == 0, again.stderr
    return cli_database


@pytest.fixture(scope="module")
def cli_org(migrated: str) -> dict:
    key = unique_key("CLI")
    result = tessera("create-org", key, "--name", "CLI Org", "--admin-email", f"admin@{key.lower()}.test",
                     "--admin-password", "cli admin password", "--json", database_url=migrated)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def api(migrated: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=migrated, base_url="http://testserver"))) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_migrate_creates_the_schema(migrated: str) -> None:
    tables = {"organizations", "users", "api_tokens", "projects", "issues", "outbox_events"}
    for table in tables:
        assert fetch_rows(migrated, f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] >= 0
    assert fetch_rows(migrated, "SELECT version_num FROM alembic_version")


def test_create_org_prints_exactly_the_documented_json(cli_org: dict, api: TestClient) -> None:
    assert set(cli_org) == {"organization_id", "organization_key", "admin_user_id", "api_token"}
    assert isinstance(cli_org["organization_id"], int) and isinstance(cli_org["admin_user_id"], int)
    myself = api.get("/v2/myself", headers=bearer(cli_org["api_token"]))
    assert myself.status_code == 200, myself.text
    assert myself.json()["id"] == cli_org["admin_user_id"]
    assert myself.json()["organization_key"] == cli_org["organization_key"]
    assert myself.json()["role"] == "admin"


def test_create_user_prints_exactly_the_documented_json(migrated: str, cli_org: dict, api: TestClient) -> None:
    key = cli_org["organization_key"]
    result = tessera("create-user", "--org", key, "--email", "dev@cli.test", "--name", "Dev", "--role", "viewer",
                     "--password", "viewer password", "--json", database_url=migrated)
    assert result.returncode == 0, result.stderr
    new = json.loads(result.stdout)
    assert set(new) == {"user_id", "api_token"}
    myself = api.get("/v2/myself", headers=bearer(new["api_token"]))
    assert myself.status_code == 200, myself.text
    assert myself.json()["id"] == new["user_id"] and myself.json()["role"] == "viewer"
    refused = api.post("/v2/projects", json={"key": "VIEW", "name": "x"}, headers=bearer(new["api_token"]))
    assert refused.status_code == 403
    duplicate = tessera("create-user", "--org", key, "--email", "dev@cli.test", "--name", "Dev again",
                        database_url=migrated)
    assert_clean_failure(duplicate, "already exists")


def test_set_limits(migrated: str, cli_org: dict, api: TestClient) -> None:
    key = cli_org["organization_key"]
    result = tessera("set-limits", key, "--requests-per-minute", "5", "--json", database_url=migrated)
    assert result.returncode == 0, result.stderr
    limits = json.loads(result.stdout)
    assert limits["organization_key"] == key and limits["requests_per_minute"] == 5
    assert {"searches_per_hour", "max_users", "storage_mb"} <= set(limits)
    [row] = fetch_rows(migrated, "SELECT requests_per_minute FROM organizations WHERE key = :key", {"key": key})
    assert row["requests_per_minute"] == 5
    # The CLI is another process: the server trusts its cached token lookup (limits included)
    # for up to auth_cache_seconds before it reads the new limits.
    time.sleep(Settings().auth_cache_seconds + 0.2)
    statuses = [api.get("/v2/myself", headers=bearer(cli_org["api_token"])).status_code for _ in range(12)]
    assert 429 in statuses and statuses.count(200) <= 10, statuses
    restored = tessera("set-limits", key, "--requests-per-minute", "100000", database_url=migrated)
    assert restored.returncode == 0, restored.stderr
    assert "requests_per_minute: 100000" in restored.stdout
    time.sleep(Settings().auth_cache_seconds + 0.2)  # later tests use this organization
    assert_clean_failure(tessera("set-limits", key, "--requests-per-minute", "0", database_url=migrated))


def test_errors_exit_non_zero_with_a_message_and_no_traceback(migrated: str, cli_org: dict) -> None:
    key = cli_org["organization_key"]
    duplicate = tessera("create-org", key, "--name", "Again", "--admin-email", "x@y.test", "--admin-password",
                        "another password", "--json", database_url=migrated)
    assert_clean_failure(duplicate, "already exists")
    assert duplicate.stdout == ""
    unknown = tessera("create-user", "--org", "NOSUCHORG", "--email", "a@b.test", "--name", "A",
                      database_url=migrated)
    assert_clean_failure(unknown, "NOSUCHORG")
    assert_clean_failure(tessera("set-limits", "NOSUCHORG", "--max-users", "3", database_url=migrated),
                         "NOSUCHORG")
    assert_clean_failure(tessera("create-org", "x", "--name", "Bad key", "--admin-email", "x@y.test",
                                 "--admin-password", "long enough pw", database_url=migrated), "key")
    assert_clean_failure(tessera("create-org", unique_key("E"), "--name", "Bad email", "--admin-email", "nope",
                                 "--admin-password", "long enough pw", database_url=migrated), "email")


def _pending_events(database_url: str) -> int:
    return fetch_rows(database_url, "SELECT COUNT(*) AS n FROM outbox_events WHERE processed_at IS NULL")[0]["n"]


def test_worker_once_processes_pending_events(migrated: str, cli_org: dict, api: TestClient) -> None:
    headers = bearer(cli_org["api_token"])
    project = api.post("/v2/projects", json={"key": unique_key("W")[:10], "name": "Events"}, headers=headers)
    assert project.status_code == 201, project.text
    issue = api.post("/v2/issues", json={"project_id": project.json()["id"], "issue_type": "Task",
                                         "summary": "Make an event"}, headers=headers)
    assert issue.status_code == 201, issue.text
    assert _pending_events(migrated) >= 1
    result = tessera("worker", "--once", database_url=migrated)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert _pending_events(migrated) == 0
    rows = fetch_rows(migrated, "SELECT processed_at, last_error FROM outbox_events WHERE aggregate_id = :id",
                      {"id": issue.json()["id"]})
    assert rows and all(r["processed_at"] is not None and r["last_error"] is None for r in rows)


def test_worker_runs_until_sigterm(migrated: str) -> None:
    process = subprocess.Popen([TESSERA, "worker", "--database-url", migrated], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=cli_env())
    try:
        selector = selectors.DefaultSelector()
        assert process.stderr is not None
        selector.register(process.stderr, selectors.EVENT_READ)
        seen = ""
        deadline = time.monotonic() + STARTUP_SECONDS
        while "worker started" not in seen and time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=0.5):
                seen += process.stderr.readline()
        assert "worker started" in seen, (process.poll(), seen)
        time.sleep(0.5)
        assert process.poll() is None, "the worker exited on its own"
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
        assert time.monotonic() - stopped_at < 5
        assert process.returncode == 0, stderr
        assert "worker stopped" in stderr and "Traceback" not in seen + stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.slow
def test_an_unreachable_database_is_a_message_not_a_traceback() -> None:
    result = tessera("create-org", "UNREACH", "--name", "x", "--admin-email", "a@b.test", "--admin-password",
                     "password1", database_url="postgresql://postgres@127.0.0.1:1/nothing_here")
    assert_clean_failure(result, "cannot use the database", "127.0.0.1:1/nothing_here")
