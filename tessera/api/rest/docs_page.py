"""/docs: FastAPI's Swagger UI page, its script, style and icon served from /static/vendor/swagger-ui
(npm swagger-ui-dist 5.36.0, with its LICENSE and NOTICE) rather than a CDN, so it works offline
and its policy allows this site only. The page starts Swagger UI with an inline script, which
tessera.web.headers nonces."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.requests import Request
from starlette.responses import HTMLResponse

PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
ASSETS = "/static/vendor/swagger-ui"


def install_docs(app: FastAPI) -> None:
    """Adds the pages FastAPI adds for `docs_url` (which the app leaves unset), from our assets."""
    openapi_url = app.openapi_url or ""

    async def swagger_ui(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(openapi_url=root_path + openapi_url, title=f"{app.title} - Swagger UI",
                                   oauth2_redirect_url=root_path + OAUTH2_REDIRECT_PATH,
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route(PATH, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_PATH, oauth2_redirect, include_in_schema=False)
