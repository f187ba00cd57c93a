"""A real `tessera serve` process on a free port, on a fresh SQLite file or PostgreSQL database, for
the tests that need real concurrency (several clients, one server); and its HTTP clients."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.factories.ports import free_port
from tests.support import unique_key

TESSERA = str(Path(sys.executable).with_name("tessera"))


@dataclass(frozen=True)
class Server:
    base_url: str
    database_url: str
    token: str
    admin_user_id: int


def quiet_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env["TESSERA_LOG_LEVEL"] = "WARNING"
    return env


# Generous: a server imports the whole application (a few seconds of CPU), and on a 2-core
# machine running the suite on both cores that took 25 s once.
STARTUP_SECONDS = 90


def wait_for_health(base_url: str, process: subprocess.Popen, log: Path, timeout: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tessera serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"tessera serve did not become healthy in {timeout}s:\n{log.read_text()[-3000:]}")


def run_server(database_url: str, log_dir: Path) -> Iterator[Server]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = log_dir / f"serve-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen([TESSERA, "serve", "--port", str(port), "--database-url", database_url],
                                   stdout=output, stderr=subprocess.STDOUT, env=quiet_env())
    try:
        wait_for_health(base_url, process, log)
        key = unique_key("CC")
        created = subprocess.run(
            [TESSERA, "create-org", key, "--name", "Concurrency", "--admin-email", f"admin@{key.lower()}.test",
             "--admin-password", "concurrency pass", "--json", "--database-url", database_url],
            capture_output=True, text=True, env=quiet_env(), timeout=60, check=False)
        assert created.returncode == 0, created.stderr
        org = json.loads(created.stdout)
        yield Server(base_url=base_url, database_url=database_url, token=org["api_token"],
                     admin_user_id=org["admin_user_id"])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client_for(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": f"Bearer {server.token}"},
                             timeout=60)


async def make_project(client: httpx.AsyncClient) -> dict:
    response = await client.post("/v2/projects", json={"key": unique_key("C")[:10], "name": "Concurrency"})
    assert response.status_code == 201, response.text
    return response.json()
