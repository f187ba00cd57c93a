"""Live updates across server processes: real `tessera serve` processes on one database (the
SQLite file or the PostgreSQL database of the run) and one real Redis, with a channel prefix of
their own; real WebSocket clients (the `websockets` library) and REST over HTTP.

Server A runs with `--workers 2` (two processes on one SO_REUSEPORT port), server B is one more
process: a change made through any of them reaches clients connected to any other."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.factories.ports import free_port
from tests.support import REDIS_URL, OrgHandle, make_user, redis_unreachable_reason

pytestmark = pytest.mark.slow
TESSERA = Path(sys.executable).parent / "tessera"


def _start(database_url: str, prefix: str, workers: int) -> tuple[str, subprocess.Popen]:
    port = free_port()
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING", "TESSERA_LIVE_CHANNEL_PREFIX": prefix}
    process = subprocess.Popen([str(TESSERA), "serve", "--port", str(port), "--workers", str(workers),
                                "--database-url", database_url, "--redis-url", REDIS_URL],
                               env=environment, start_new_session=True, stdout=subprocess.DEVNULL)
    return f"127.0.0.1:{port}", process


def _wait_healthy(address: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server on {address} exited with {process.returncode}"
        try:
            if httpx.get(f"http://{address}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the server on {address} did not become healthy")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass(frozen=True)
class Cluster:
    a: str  # host:port of server A (two processes)
    b: str  # host:port of server B (one process)
    prefix: str


@pytest.fixture(scope="module")
def cluster(database_url: str) -> Iterator[Cluster]:
    if reason := redis_unreachable_reason():
        pytest.skip(reason)
    prefix = f"tessera-test-{uuid.uuid4().hex[:10]}"
    started = [_start(database_url, prefix, workers) for workers in (2, 1)]
    try:
        for address, process in started:
            _wait_healthy(address, process)
        yield Cluster(a=started[0][0], b=started[1][0], prefix=prefix)
    finally:
        for _, process in started:
            _stop(process)


def _rest(address: str, method: str, path: str, headers: dict, body: dict | None = None, status: int = 200) -> dict:
    response = httpx.request(method, f"http://{address}{path}", json=body, headers=headers, timeout=10)
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


async def _rest_async(address: str, method: str, path: str, headers: dict, body: dict | None = None,
                      status: int = 200) -> dict:
    return await asyncio.to_thread(_rest, address, method, path, headers, body, status)


async def receive(ws: ClientConnection, *, skip: tuple[str, ...] = ("presence",), timeout: float = 10.0) -> dict:
    """The next message not of a skipped type; the latest viewers list is kept on `ws.viewers`."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == "presence":
            ws.viewers = sorted(v["user_id"] for v in message["data"]["viewers"])  # type: ignore[attr-defined]
        if message["type"] not in skip:
            return message


async def until_viewers(ws: ClientConnection, viewers: list[int]) -> None:
    while getattr(ws, "viewers", None) != viewers:
        await receive(ws, skip=())


@asynccontextmanager
async def live(address: str, path: str, headers: dict | None = None) -> AsyncIterator[ClientConnection]:
    async with connect(f"ws://{address}{path}", additional_headers=headers or {}, open_timeout=10) as ws:
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert welcome["type"] == "subscribed", welcome
        ws.welcome = welcome["data"]  # type: ignore[attr-defined]
        yield ws


@pytest.fixture
def world(cluster: Cluster, database_url: str, org: OrgHandle) -> dict:
    key = f"C{uuid.uuid4().hex[:6].upper()}"
    project = _rest(cluster.a, "POST", "/v2/projects", org.headers, {"key": key, "name": "Cluster"}, 201)
    issue = _rest(cluster.b, "POST", "/v2/issues", org.headers,
                  {"project_id": project["id"], "issue_type": "Task", "summary": "Shared"}, 201)
    return {"project": project, "issue": issue, "member": make_user(database_url, org)}


async def test_a_change_made_through_one_process_reaches_clients_of_the_others(
        cluster: Cluster, org: OrgHandle, world: dict) -> None:
    issue, project, member = world["issue"], world["project"], world["member"]
    ticket = (await _rest_async(cluster.a, "POST", "/v2/live/tickets", member.headers, status=201))["ticket"]
    async with live(cluster.b, f"/v2/issues/{issue['id']}/live", org.headers) as on_b, \
            live(cluster.b, f"/v2/projects/{project['key']}/live?ticket={ticket}") as on_b_by_ticket, \
            live(cluster.a, f"/v2/issues/{issue['key']}/live", member.headers) as on_a:
        await _rest_async(cluster.a, "PUT", f"/v2/issues/{issue['id']}", org.headers, {"summary": "Through A"})
        for ws in (on_b, on_b_by_ticket, on_a):
            message = await receive(ws)
            assert message["type"] == "issue_updated" and message["data"]["issue_id"] == issue["id"]
            assert message["data"]["field_changes"]["summary"] == {"from": "Shared", "to": "Through A"}
        await _rest_async(cluster.b, "POST", f"/v2/issues/{issue['id']}/transitions/21", member.headers)
        for ws in (on_b, on_b_by_ticket, on_a):
            message = await receive(ws)
            assert message["type"] == "status_changed" and message["data"]["user_id"] == member.user_id
        # Presence is shared through Redis: each side sees both viewers.
        both = sorted([org.admin_user_id, member.user_id])
        for ws in (on_a, on_b):
            await until_viewers(ws, both)
        await on_b.send(json.dumps({"type": "user_typing"}))
        typing = await receive(on_a)
        assert typing["type"] == "user_typing" and typing["data"]["user_id"] == org.admin_user_id


async def test_a_client_whose_process_lost_redis_reconnects_and_replays(
        cluster: Cluster, org: OrgHandle, world: dict) -> None:
    issue = world["issue"]
    path = f"/v2/issues/{issue['id']}/live"
    async with live(cluster.b, path, org.headers) as ws:
        await _rest_async(cluster.a, "PUT", f"/v2/issues/{issue['id']}", org.headers, {"summary": "Before"})
        last_seen = (await receive(ws))["id"]
        # Drop the processes' subscriber connections: what is published meanwhile never arrives.
        admin = redis.Redis.from_url(REDIS_URL)
        subscribers = [c for c in admin.client_list() if c.get("name") == f"{cluster.prefix}:live-subscriber"]
        assert len(subscribers) == 3  # one per server process
        for subscriber in subscribers:
            admin.client_kill_filter(_id=subscriber["id"])
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws, skip=("presence", "issue_updated"))
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    await _rest_async(cluster.a, "PUT", f"/v2/issues/{issue['id']}", org.headers, {"summary": "While away"})
    async with live(cluster.b, f"{path}?last_event_id={last_seen}", org.headers) as ws:
        missed = await receive(ws)
        assert missed["data"]["field_changes"]["summary"]["to"] == "While away" and missed["id"] > last_seen
        await _rest_async(cluster.a, "PUT", f"/v2/issues/{issue['id']}", org.headers, {"summary": "Live again"})
        assert (await receive(ws))["data"]["field_changes"]["summary"]["to"] == "Live again"

