"""A real `tessera serve` process on a free port, on a fresh SQLite file or PostgreSQL database, for
the tests that need real concurrency (several clients, one server); and its HTTP clients."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

import tessera
from tests.factories.ports import free_port
from tests.support import make_org, unique_key

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


@contextmanager
def serve(database_url: str, log_dir: Path, *, extra_args: Sequence[str] = (),
          env: Mapping[str, str] | None = None) -> Iterator[str]:
    """`tessera serve` on a free port until the block ends: its base URL. The log goes to
    `log_dir`; a traceback in it fails the test that stops the server."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = log_dir / f"serve-{port}.log"
    environment = {**quiet_env(), "TESSERA_BASE_URL": base_url, **(env or {})}
    # The server runs the very code under test (the checkout these tests import), not an installed copy.
    environment["PYTHONPATH"] = os.pathsep.join([str(Path(tessera.__file__).parents[1]),
                                                 environment.get("PYTHONPATH", "")])
    with log.open("w") as output:
        process = subprocess.Popen([TESSERA, "serve", "--port", str(port), "--database-url", database_url,
                                    *extra_args], stdout=output, stderr=subprocess.STDOUT, env=environment)
    try:
        wait_for_health(base_url, process, log)
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


def run_server(database_url: str, log_dir: Path) -> Iterator[Server]:
    with serve(database_url, log_dir) as base_url:
        org = make_org(database_url, password="concurrency pass")
        yield Server(base_url=base_url, database_url=database_url, token=org.token,
                     admin_user_id=org.admin_user_id)


def client_for(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": f"Bearer {server.token}"},
                             timeout=60)


async def make_project(client: httpx.AsyncClient) -> dict:
    response = await client.post("/v2/projects", json={"key": unique_key("C")[:10], "name": "Concurrency"})
    assert response.status_code == 201, response.text
    return response.json()
