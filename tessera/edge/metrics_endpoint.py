"""GET /metrics: the Prometheus scrape target.

Who may read it: a scraper on this host (a loopback peer that no proxy forwarded: a request
carrying Forwarded, X-Forwarded-For or X-Real-IP came through a proxy, from anywhere), a bearer
of TESSERA_METRICS_TOKEN (a Prometheus on another host, with no account), and an organization
administrator's credentials. The figures are counts and ages for the whole deployment and name
no organization, which is why any organization's administrator may read them.

Anyone else: 404 without credentials (the endpoint does not advertise itself), 401 for
credentials that authenticate no one, 403 for an account that is not an administrator."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from tessera.delivery.stats import read_queue_stats
from tessera.edge.context import request_context
from tessera.edge.metrics import CONTENT_TYPE, ProcessMetrics, render
from tessera.errors import TesseraError

METRICS_PATH = "/metrics"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def from_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    loopback = host in _LOOPBACK or host.startswith("127.") or host.startswith("::ffff:127.")
    return loopback and not any(name in request.headers for name in _PROXY_HEADERS)


def bears_metrics_token(request: Request, token: str | None) -> bool:
    if not token:
        return False
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


async def refusal(request: Request) -> Response | None:
    """None when the request may read the figures; else the answer it gets."""
    settings = request.app.state.settings
    if from_loopback(request) or bears_metrics_token(request, settings.metrics_token):
        return None
    if "authorization" not in request.headers and "tessera_session" not in request.cookies:
        return _error(404, "not_found", "Nothing here.")
    context = await request_context(request)
    try:
        identity = await context.identify()
    except TesseraError as error:
        return _error(error.status, error.code, error.message)
    if not identity.actor.is_org_admin:
        return _error(403, "permission_denied", "Only an organization administrator may read /metrics.")
    return None


async def metrics_endpoint(request: Request) -> Response:
    refused = await refusal(request)
    if refused is not None:
        return refused
    state = request.app.state
    metrics: ProcessMetrics = state.metrics
    async with state.database.unit_of_work(write=False) as session:
        queue = await read_queue_stats(session)
    return PlainTextResponse(render(metrics, queue), media_type=CONTENT_TYPE,
                             headers={"Cache-Control": "no-store"})


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
