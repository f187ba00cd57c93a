"""How the pages show errors: a readable page (or, for HTMX requests, a message in the flash
area), never a stack trace; an expired or missing session goes to sign-in."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request

from tessera.edge.authentication import SESSION_COOKIE
from tessera.errors import NotAuthenticated, RateLimited, TesseraError
from tessera.web.context import render

TITLES = {400: "That did not work", 403: "Not allowed", 404: "Not found", 409: "Changed by someone else",
          413: "Too large", 429: "Slow down", 500: "Something went wrong"}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or is_htmx(request):
        current = urlsplit(request.headers.get("hx-current-url") or "/")
        target = current.path + (f"?{current.query}" if current.query else "")
    url = f"/signin?next={quote(target, safe='/')}" if target not in ("", "/") else "/signin"
    if is_htmx(request):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def error_page(request: Request, status: int, message: str, *, code: str = "error") -> Response:
    title = TITLES.get(status, "That did not work")
    if is_htmx(request):
        return render(request, "partials/flash.html", status_code=status, message=message, title=title,
                      headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return render(request, "error.html", status_code=status, title=title, message=message, code=code)


async def refused(request: Request, error: TesseraError) -> Response:
    """Input refused before any page ran (tessera.edge.input_check)."""
    return error_page(request, error.status, error.message, code=error.code)


def failed(request: Request, request_id: str) -> Response:
    """The 500 of tessera.edge.guard, which has logged the failure under `request_id`."""
    return error_page(request, 500, f"Something went wrong on our side. The error has been logged with request id "
                      f"{request_id}.", code="internal_error")


class WebRoute(APIRoute):
    """Every page route renders domain errors itself, so the API's JSON error mapping never reaches a page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except NotAuthenticated:
                return sign_in_redirect(request)
            except TesseraError as error:
                response = error_page(request, error.status, error.message, code=error.code)
                if isinstance(error, RateLimited):
                    response.headers["Retry-After"] = str(error.retry_after)
                return response
            except RequestValidationError:
                return error_page(request, 400, "The request had a value that Tessera could not read.")
            except IntegrityError:
                return error_page(request, 409, "The change conflicts with a concurrent change; try again.")
            # Anything else is a failure: tessera.edge.guard logs it and answers with failed().

        return guarded
