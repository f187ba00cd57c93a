"""A `tessera worker`'s own /metrics listener: over real TCP, the exposition with its delivery
counters; only GET /metrics; a token off loopback; and the worker command serving it until
SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.edge.metrics import ProcessMetrics
from tessera.edge.metrics_server import serve_metrics
from tests.factories.ports import free_port
from tests.factories.prometheus import parse, value


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=database_url))
    yield database
    await database.dispose()


async def test_it_answers_get_metrics_with_the_workers_counters(database: Database) -> None:
    metrics = ProcessMetrics()
    metrics.attempted("email", "delivered", 35)
    metrics.attempted("email", "failed", 5000)
    async with serve_metrics(database, metrics, host="127.0.0.1", port=0, token=None) as server:
        port = server.sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.get("/metrics")
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
            _, samples = parse(response.text)
            assert value(samples, "tessera_deliveries_attempted_total", channel="email", outcome="failed") == 1
            assert value(samples, "tessera_delivery_duration_seconds_bucket", channel="email", le="0.05") == 1
            assert value(samples, "tessera_outbox_pending_events") >= 0
            assert (await http.get("/")).status_code == 404
            assert (await http.post("/metrics")).status_code == 404


async def test_off_loopback_it_needs_the_token(database: Database) -> None:
    with pytest.raises(ValueError, match="TESSERA_METRICS_TOKEN"):
        async with serve_metrics(database, ProcessMetrics(), host="0.0.0.0", port=0, token=None):
            pass
    async with serve_metrics(database, ProcessMetrics(), host="0.0.0.0", port=0, token="tok-123") as server:
        port = server.sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/metrics")).status_code == 401
            assert (await http.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401
            assert (await http.get("/metrics", headers={"Authorization": "Bearer tok-123"})).status_code == 200


@pytest.mark.slow
def test_the_worker_command_serves_it_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    process = subprocess.Popen([str(Path(sys.executable).with_name("tessera")), "worker", "--metrics-port", str(port),
                                "--database-url", f"sqlite:///{tmp_path}/worker.db"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read() if process.stderr else ""
                time.sleep(0.2)
        assert response.status_code == 200
        _, samples = parse(response.text)
        assert value(samples, "tessera_deliveries", state="pending", channel="webhook") == 0
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "worker metrics on" in stderr and "worker stopped" in stderr
