"""Cutting off clients that never finish sending a request (slowloris).

uvicorn arms no timer while a request is being read: a connection that sends half its headers,
or a body that never ends, holds its socket (and, for a body, a request task) for ever. This
protocol is uvicorn's httptools one with two timers, as nginx has:
- the headers must arrive within `header_timeout` seconds of the connection opening, or of the
  request's first byte on a kept-alive connection (nginx `client_header_timeout`);
- the body may pause at most `body_timeout` seconds between two reads (nginx
  `client_body_timeout`), so a slow upload still finishes but a stalled one does not.
A timer that fires while reading is paused (the application has not consumed what came) waits
again: then the client is not the one late. On expiry: a 408 if no response has begun, and
the connection closes; the application's pending read sees a disconnect.

`tessera serve` names this class to uvicorn (`http="tessera.cli.slow_clients:GuardedHttpProtocol"`);
the timeouts come from the settings (TESSERA_REQUEST_HEADER_TIMEOUT_SECONDS,
TESSERA_REQUEST_BODY_TIMEOUT_SECONDS), read once per process."""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tessera.config import Settings

log = logging.getLogger("tessera.serve")
PROTOCOL = "tessera.cli.slow_clients:GuardedHttpProtocol"
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                     b"content-length: 26\r\nconnection: close\r\n\r\nThe request took too long.")


@cache
def _timeouts() -> tuple[float, float]:
    settings = Settings.from_env()
    return settings.request_header_timeout_seconds, settings.request_body_timeout_seconds


class GuardedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout, self.body_timeout = _timeouts()
        self._read_timer: asyncio.TimerHandle | None = None
        self._reading = ""  # "headers" or "body" while a timer runs

    def _arm(self, reading: str) -> None:
        self._disarm()
        self._reading = reading
        delay = self.header_timeout if reading == "headers" else self.body_timeout
        self._read_timer = self.loop.call_later(delay, self._expired)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_timer is None:  # a kept-alive connection's next request
            self._arm("headers")

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):  # a WebSocket has its own pings
            self._arm("body")

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._arm("body")

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _expired(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the application has not read what came: not the client's delay
            self._arm(self._reading)
            return
        client = "%s:%d" % self.client if self.client else "unknown client"
        log.warning("closing %s: its request %s did not arrive within %.0f s", client, self._reading,
                    self.header_timeout if self._reading == "headers" else self.body_timeout)
        cycle = self.cycle
        busy = cycle is not None and not cycle.response_complete
        if busy:
            cycle.disconnected = True  # the application's read returns http.disconnect; its reply goes nowhere
            cycle.message_event.set()
        if not busy or not cycle.response_started:
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()
