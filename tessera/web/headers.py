"""Security headers, set in one place for every response of the app (a pure ASGI middleware).

Every response: `X-Content-Type-Options: nosniff`, and HSTS when the session cookie is
Secure (the site is served over HTTPS only). Every HTML page, ours or a tool's: a
Content-Security-Policy with no inline script and no eval (our pages' behaviour lives in
/static/*.js), `frame-ancestors 'none'` (no clickjacking), `Referrer-Policy: same-origin`,
and `Cache-Control: no-store` (pages carry a user's data and a CSRF token; none is shared).

Styles may be inline (`style=` attributes and `<style>` blocks): a style cannot run code.

Pages we do not write (GraphiQL at /graphql, Swagger UI at /docs) load their code from
/static/vendor and start it with an inline script: for their paths (`tool_pages`: path -> any
other origins their code comes from, none today) each of their `<script>` tags gets this
response's nonce, added here to the buffered page, and the policy allows that nonce."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000"
_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)


def content_security_policy(*, nonce: str | None = None, origins: Sequence[str] = ()) -> str:
    extra = "".join(f" {origin}" for origin in origins)
    script = "script-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "") + extra
    return "; ".join((
        "default-src 'self'", script, f"style-src 'self' 'unsafe-inline'{extra}", f"img-src 'self' data:{extra}",
        f"font-src 'self' data:{extra}", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
        "form-action 'self'", "frame-ancestors 'none'"))


OWN_PAGES = content_security_policy()


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool, tool_pages: Mapping[str, Sequence[str]] | None = None) -> None:
        self.app = app
        self.hsts = hsts
        self.tool_pages = dict(tool_pages or {})

    def _tool_origins(self, path: str) -> Sequence[str] | None:
        for prefix, origins in self.tool_pages.items():
            if path == prefix or path.startswith(prefix + "/"):
                return origins
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origins = self._tool_origins(scope.get("path", ""))
        held: Message | None = None  # a tool page's start, sent once its body has its nonces
        nonce = ""
        chunks: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal held, nonce
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS
                if not headers.get("content-type", "").startswith("text/html"):
                    await send(message)
                    return
                # A response that set its own policy keeps it: an uploaded HTML file is served
                # with `default-src 'none'; sandbox`, stricter than any page's.
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cache-Control", "no-store")
                if "content-security-policy" in headers:
                    await send(message)
                    return
                if origins is None:
                    headers["Content-Security-Policy"] = OWN_PAGES
                    await send(message)
                    return
                nonce = secrets.token_urlsafe(16)
                headers["Content-Security-Policy"] = content_security_policy(nonce=nonce, origins=origins)
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = _SCRIPT_TAG.sub(b'<script nonce="' + nonce.encode() + b'"', b"".join(chunks))
            if body:  # a HEAD response keeps the length of the page it stands for
                MutableHeaders(scope=held)["Content-Length"] = str(len(body))
            start, held = held, None
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, send_with_headers)
