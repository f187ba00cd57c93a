"""Signed-in page sessions for the tests of pages and of anything the pages reach.

Argon2 is slow on purpose, so most sessions are opened through the domain (no password);
`sign_in` goes through the form with the organization's real password."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.tenancy.auth import authenticate_token, do_create_web_session
from tests.support import OrgHandle, UserHandle

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTMX = {"HX-Request": "true"}


async def web_session_cookie(database_url: str, token: str) -> str:
    """A new hour-long page session for the owner of an API token: the `tessera_session` cookie's value."""
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            actor = await authenticate_token(session, token)
            return await do_create_web_session(session, actor=actor, ttl=timedelta(hours=1))
    finally:
        await database.dispose()


def sign_in(client: TestClient, org: OrgHandle) -> str:
    """Signs in through the form; returns the session's CSRF token as the pages carry it."""
    response = client.post("/signin", data={"email": org.admin_email, "password": org.admin_password},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/projects")
    assert page.status_code == 200
    match = CSRF.search(page.text)
    assert match is not None
    return match.group(1)


def open_session(client: TestClient, database_url: str, org: OrgHandle) -> str:
    """Signs the client in as the org's admin without a password; returns the CSRF token."""
    client.cookies.set("tessera_session", asyncio.run(web_session_cookie(database_url, org.token)))
    page = client.get("/projects")
    assert page.status_code == 200, page.text
    match = CSRF.search(page.text)
    assert match is not None
    return match.group(1)


def sign_in_as(web: TestClient, database_url: str, user: UserHandle) -> None:
    """Replaces the client's cookies with a page session of `user`."""
    web.cookies.clear()
    web.cookies.set("tessera_session", asyncio.run(web_session_cookie(database_url, user.token)))
