"""tessera.delivery.outbound_http against a real HTTP receiver on loopback: what it refuses
(after DNS, on every redirect hop), what it allows when the operator says so, and the body cap."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tessera.delivery.outbound_http import (
    RESPONSE_CAP,
    Address,
    OutboundError,
    OutboundRefused,
    outbound_client,
    public_only,
)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = b"got " + body + b" as " + self.headers.get("Content-Type", "").encode()
        self.send_response(503 if self.path == "/busy" else 200)
        if self.path == "/busy":
            self.send_header("Retry-After", "120")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/redirect?to="))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"x" * (1024 * 1024) if self.path == "/large" else b"received"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True), ("1.1.1.1", True),
    ("127.0.0.1", False), ("127.8.9.10", False), ("10.1.2.3", False), ("172.16.0.1", False),
    ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("240.0.0.1", False), ("255.255.255.255", False), ("::1", False), ("::", False),
    ("fe80::1", False), ("fc00::1", False), ("fd12:3456::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:10.0.0.1", False), ("::ffff:8.8.8.8", True), ("192.0.2.1", False),
])
def test_only_public_addresses_pass_the_default_policy(address: str, public: bool) -> None:
    assert public_only(ipaddress.ip_address(address)) is public


async def test_loopback_is_refused_by_address_and_by_name(receiver: str) -> None:
    port = receiver.rsplit(":", 1)[1]
    async with outbound_client() as client:
        for url in (receiver, f"http://localhost:{port}/", f"http://[::1]:{port}/"):
            with pytest.raises(OutboundRefused, match="not a public address"):
                await client.get(url)


async def test_the_operator_may_allow_private_receivers(receiver: str) -> None:
    async with outbound_client(allow_private=True) as client:
        response = await client.get(receiver)
    assert response.status_code == 200 and response.text == "received"


async def test_every_redirect_hop_is_checked(receiver: str) -> None:
    def only_127_0_0_1(address: Address) -> bool:
        return str(address) == "127.0.0.1"

    port = receiver.rsplit(":", 1)[1]
    async with outbound_client(policy=only_127_0_0_1) as client:
        allowed = await client.get(f"{receiver}/redirect?to={receiver}/final")
        assert allowed.status_code == 200 and allowed.text == "received"
        with pytest.raises(OutboundRefused, match="127.0.0.2"):
            await client.get(f"{receiver}/redirect?to=http://127.0.0.2:{port}/final")


async def test_a_response_is_read_up_to_the_cap(receiver: str) -> None:
    async with outbound_client(allow_private=True) as client:
        response = await client.get(f"{receiver}/large")
    assert response.status_code == 200 and len(response.body) == RESPONSE_CAP


async def test_a_post_sends_its_bytes_and_reads_status_headers_and_body(receiver: str) -> None:
    async with outbound_client(allow_private=True) as client:
        ok = await client.post(f"{receiver}/hook", content=b'{"a":1}', headers={"Content-Type": "application/json"})
        busy = await client.post(f"{receiver}/busy", content=b"x")
    assert ok.is_success and ok.text == 'got {"a":1} as application/json'
    assert not busy.is_success and busy.status_code == 503 and busy.retry_after_seconds() == 120


async def test_no_answer_is_an_outbound_error_worth_a_retry(receiver: str) -> None:
    async with outbound_client(allow_private=True) as client:
        with pytest.raises(OutboundError, match="redirects"):
            await client.get(f"{receiver}/loop")
        closed_port = receiver.rsplit(":", 1)[0] + ":1"
        with pytest.raises(OutboundError) as refused:
            await client.get(closed_port)
        assert not isinstance(refused.value, OutboundRefused)


async def test_no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch, receiver: str) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")
    async with outbound_client(allow_private=True) as client:
        response = await client.get(receiver)
    assert response.text == "received"
