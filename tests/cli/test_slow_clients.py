"""Against a real `tessera serve` on a free port, with 1-second read timeouts: a client that
sends half its headers, or stalls in its body, gets a 408 and a closed connection; a body that
keeps coming (slowly) is served; a kept-alive connection and a WebSocket are not cut off."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.factories.servers import TESSERA, serve

TIMEOUT = 1.0

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """(port, an API token)."""
    folder = tmp_path_factory.mktemp("slow")
    database_url = f"sqlite:///{folder}/x.db"
    created = subprocess.run([TESSERA, "create-org", "SLOW", "--name", "Slow", "--admin-email", "a@slow.test",
                              "--admin-password", "slow password", "--admin-name", "A", "--json",
                              "--database-url", database_url],
                             capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr[-2000:]
    token = json.loads(created.stdout.strip().splitlines()[-1])["api_token"]
    with serve(database_url, folder, env={"TESSERA_REQUEST_HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
                                          "TESSERA_REQUEST_BODY_TIMEOUT_SECONDS": str(TIMEOUT)}) as base_url:
        yield int(base_url.rsplit(":", 1)[1]), token


def read_until_closed(sock: socket.socket, limit: float = 10) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (seconds from now)."""
    started, data = time.monotonic(), b""
    sock.settimeout(limit)
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data, time.monotonic() - started
        data += chunk


def test_half_sent_headers_are_cut_off(server: tuple[int, str]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        data, after = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert TIMEOUT * 0.8 < after < TIMEOUT + 3


def test_a_connection_that_never_speaks_is_cut_off(server: tuple[int, str]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as sock:
        data, after = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 ") and after < TIMEOUT + 3


def test_headers_trickled_byte_by_byte_are_cut_off_at_the_deadline(server: tuple[int, str]) -> None:
    """The header timeout is a deadline for all of them, not a pause between bytes."""
    port, _ = server
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 40 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        started = time.monotonic()
        sent = 0
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.05)
        except OSError:
            pass  # closed under us: what we want
        data, _ = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert sent < len(request) and time.monotonic() - started < TIMEOUT + 3


def test_a_stalled_body_is_cut_off_but_a_slow_one_is_served(server: tuple[int, str]) -> None:
    port, token = server
    body = json.dumps({"key": "SLOWP", "name": "Slowly sent"}).encode()
    head = (f"POST /v2/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head + body[:10])
        data, after = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 ") and TIMEOUT * 0.8 < after < TIMEOUT + 3
    # The same body in pieces 0.4 s apart (1.6 s in all, past the timeout): each read is in time.
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        for start in range(0, len(body), len(body) // 4 + 1):
            time.sleep(0.4)
            sock.sendall(body[start:start + len(body) // 4 + 1])
        sock.settimeout(10)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 201 "), answer
    assert httpx.get(f"http://127.0.0.1:{port}/v2/projects/SLOWP", headers={"Authorization": f"Bearer {token}"}
                     ).status_code == 200


def test_kept_alive_connections_and_websockets_are_not_cut_off(server: tuple[int, str]) -> None:
    from websockets.sync.client import connect

    port, token = server
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(TIMEOUT * 0.8)  # idle between requests: uvicorn's keep-alive, not our timers
        assert client.get("/healthz").status_code == 200
    with connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]) as websocket:  # type: ignore[list-item]
        time.sleep(TIMEOUT * 1.5)  # silent past both timeouts: a WebSocket is not a request being read
        websocket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(websocket.recv(timeout=5))["type"] == "connection_ack"
