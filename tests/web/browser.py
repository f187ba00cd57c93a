"""Headless Chromium against a real `tessera serve`, for the browser journeys.

One server per test process serves every journey module (started once, kept for the run: a
server start imports the whole application, seconds of CPU); each module gets an organization
of its own on it, so modules cannot see each other's projects. Chromium is launched per module:
Playwright's sync API keeps an event loop running while it is open, and the other tests of the
process call asyncio.run."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import make_org_async, unique_key

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class LiveServer:
    """A server and the organization a module signs in to (its admin: Ada Admin)."""

    url: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def require_browser() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


def new_organization(url: str, database_url: str, *, project: str | None = "SHOP") -> LiveServer:
    """A new organization on the server at `url` (whose database is `database_url`), with a
    password for the sign-in form and, unless None, a project keyed `project` named Storefront."""
    password = f"browser-{unique_key('PW')}"
    # In a thread of its own: an open Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        org = thread.submit(asyncio.run, make_org_async(database_url, password=password,
                                                        admin_name="Ada Admin")).result(timeout=60)
    server = LiveServer(url, org.admin_email, password, org.token)
    if project:
        response = httpx.post(f"{url}/v2/projects", headers=server.headers, timeout=30,
                              json={"key": project, "name": "Storefront"})
        assert response.status_code == 201, response.text
    return server


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def signed_in_page(browser, server: LiveServer, email: str | None = None,  # type: ignore[no-untyped-def]
                   password: str | None = None, *, context_options: dict | None = None):
    """A page of a new browser context, signed in through the form (as the module's admin by
    default), on the projects page."""
    context = browser.new_context(**(context_options or {}))
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server.url}/signin")
    page.fill("input[name=email]", email or server.email)
    page.fill("input[name=password]", password or server.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/projects")
    return page


def csp_watch(page) -> list[str]:  # type: ignore[no-untyped-def]
    """What the browser reports against the Content-Security-Policy (Chromium logs each refusal
    to the console) and any script error, for the assertions at the end of a test."""
    reports: list[str] = []
    page.on("console", lambda message: reports.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    page.on("pageerror", lambda error: reports.append(f"page error: {error}"))
    return reports
