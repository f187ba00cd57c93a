"""A Slack-like incoming-webhook receiver on 127.0.0.1 (a thread): keeps each POST's path and JSON
body, and answers as Slack does by path: /ok 200 "ok", /gone 404 "no_service", /archived 410
"channel_is_archived", /busy 429 with Retry-After: 30, /broken 500."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWERS = {"/gone": (404, b"no_service"), "/archived": (410, b"channel_is_archived"), "/busy": (429, b"rate_limited"),
           "/broken": (500, b"internal_error")}


@dataclass
class SlackReceiver:
    base_url: str
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for posted, body in self.posts if posted == path]


@contextmanager
def slack_receiver() -> Iterator[SlackReceiver]:
    received: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.split("/services", 1)[0] or self.path
            received.append((path, json.loads(body)))
            status, answer = ANSWERS.get(path, (200, b"ok"))
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "30")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SlackReceiver(f"http://127.0.0.1:{server.server_address[1]}", received)
    finally:
        server.shutdown()
        server.server_close()
