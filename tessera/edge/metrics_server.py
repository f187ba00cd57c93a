"""/metrics of a `tessera worker` process (`--metrics-port`), which serves no HTTP otherwise: its
delivery counters live in its own memory, so Prometheus scrapes each worker as its own target.

A plain asyncio listener that answers `GET /metrics` and nothing else; bound to loopback by
default, where the endpoint's access rule (tessera.edge.metrics_endpoint) lets scrapers in
without credentials. Bound elsewhere, it asks for TESSERA_METRICS_TOKEN as a bearer token."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tessera.db.engine import Database
from tessera.delivery.stats import read_queue_stats
from tessera.edge.metrics import CONTENT_TYPE, ProcessMetrics, render

log = logging.getLogger("tessera.worker")
_MAX_HEAD = 16 * 1024


class MetricsListener:
    def __init__(self, database: Database, metrics: ProcessMetrics, *, token: str | None,
                 require_token: bool) -> None:
        self.database = database
        self.metrics = metrics
        self.token = token
        self.require_token = require_token

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            status, body, content_type = await self._answer(head[:_MAX_HEAD].decode("latin-1"))
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                         "Cache-Control: no-store\r\nConnection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # a client that sent no complete request gets no answer
        except Exception:  # noqa: BLE001 - a failed scrape must not end the worker
            log.exception("metrics scrape failed")
        finally:
            writer.close()

    async def _answer(self, head: str) -> tuple[str, bytes, str]:
        request_line, *header_lines = head.split("\r\n")
        method, _, rest = request_line.partition(" ")
        path = rest.split(" ", 1)[0]
        if method != "GET" or path.split("?", 1)[0] != "/metrics":
            return "404 Not Found", b"not found\n", "text/plain; charset=utf-8"
        if self.require_token and not self._bears_token(header_lines):
            return "401 Unauthorized", b"a bearer token is required\n", "text/plain; charset=utf-8"
        async with self.database.unit_of_work(write=False) as session:
            queue = await read_queue_stats(session)
        return "200 OK", render(self.metrics, queue).encode(), CONTENT_TYPE

    def _bears_token(self, header_lines: list[str]) -> bool:
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "authorization":
                scheme, _, sent = value.strip().partition(" ")
                return bool(self.token) and scheme.lower() == "bearer" and hmac.compare_digest(
                    sent.strip().encode(), (self.token or "").encode())
        return False


@asynccontextmanager
async def serve_metrics(database: Database, metrics: ProcessMetrics, *, host: str, port: int,
                        token: str | None) -> AsyncIterator[asyncio.Server]:
    loopback = host in ("127.0.0.1", "::1", "localhost")
    if not loopback and not token:
        raise ValueError("a metrics listener off loopback needs TESSERA_METRICS_TOKEN")
    listener = MetricsListener(database, metrics, token=token, require_token=not loopback)
    server = await asyncio.start_server(listener.handle, host, port)
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()
