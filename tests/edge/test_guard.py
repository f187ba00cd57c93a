"""A failure no route handled, over a real server and a keep-alive client: one 500 in the edge's
shape that carries the request id and `Connection: close`, one log record, and the client's next
request succeeds (before, the server reset the connection under it)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.routing import Mount

from tessera.config import Settings
from tessera.main import create_app
from tests.factories.ports import free_port
from tests.factories.servers import STARTUP_SECONDS


async def _fail() -> dict:
    raise RuntimeError("a bug")


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    app: FastAPI = create_app(settings)
    app.add_api_route("/v2/test-failure", _fail)
    app.add_api_route("/graphql/test-failure", _fail)
    app.add_api_route("/test-failure", _fail)
    jira = next(route.app for route in app.routes if isinstance(route, Mount) and route.path == "/rest")
    jira.add_api_route("/api/2/test-failure", _fail)
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_a_failure_closes_its_connection_cleanly_and_carries_its_request_id(
        server: str, caplog: pytest.LogCaptureFixture) -> None:
    with httpx.Client(base_url=server) as client:
        assert client.get("/healthz").status_code == 200  # the keep-alive connection is open
        with caplog.at_level(logging.INFO):
            failed = client.get("/v2/test-failure", headers={"X-Request-Id": "req-1234"})
        assert failed.status_code == 500
        assert failed.headers["connection"] == "close"
        assert failed.headers["x-request-id"] == "req-1234"
        assert failed.json() == {"error": {"code": "internal_error", "request_id": "req-1234",
                                           "message": "Something went wrong on our side (request id req-1234)."}}
        after = client.get("/healthz")
        assert after.status_code == 200 and after.headers["x-request-id"] not in ("", "req-1234")
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in records] == ["request req-1234 failed: GET /v2/test-failure"]
    assert records[0].exc_info is not None and "a bug" in str(records[0].exc_info[1])


def test_each_edge_answers_a_failure_in_its_own_shape(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        jira = client.get("/rest/api/2/test-failure")
        request_id = jira.headers["x-request-id"]
        assert (jira.status_code, jira.headers["connection"]) == (500, "close")
        assert jira.json() == {"errorMessages": [f"Internal server error (request id {request_id})."], "errors": {},
                               "requestId": request_id}
        graphql = client.get("/graphql/test-failure")
        assert graphql.status_code == 500 and graphql.headers["connection"] == "close"
        assert graphql.json()["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR",
                                                             "requestId": graphql.headers["x-request-id"]}
        page = client.get("/test-failure")
        assert page.status_code == 500 and page.headers["connection"] == "close"
        assert "text/html" in page.headers["content-type"] and page.headers["x-request-id"] in page.text
        assert client.get("/v2/test-failure").status_code == 500
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "é"])
def test_an_insane_incoming_request_id_is_replaced(server: str, incoming: str) -> None:
    with httpx.Client(base_url=server) as client:
        response = client.get("/healthz", headers={"X-Request-Id": incoming.encode()})
    assert response.status_code == 200
    assert response.headers["x-request-id"] != incoming and len(response.headers["x-request-id"]) == 32
