"""Who is asking: the Authorization header (Bearer token, Basic email:token or email:password),
else the browser's session cookie, read the same way by every transport. Each function reads
credentials in the session it is given and never commits: the caller (tessera.edge.context)
runs it in a read transaction of its own, before the rate limit and the request's unit of work."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import NotAuthenticated, RateLimited
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import (
    CredentialUse,
    PrincipalCache,
    authenticate_basic,
    authenticate_session,
    authenticate_token,
    do_record_signin_failure,
    do_record_token_refusal,
)
from tessera.tenancy.origins import validate_own_origin
from tessera.tenancy.secrets import TOKEN_PREFIX
from tessera.tenancy.throttle import AttemptGuard, LoginThrottle

log = logging.getLogger("tessera.edge.authentication")
SESSION_COOKIE = "tessera_session"  # set by /v2/session and the web sign-in: one browser session for all
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def attempt_guard(connection: HTTPConnection) -> AttemptGuard | None:
    """The failed-sign-in throttle for this client (tenancy.throttle), by its address."""
    throttle: LoginThrottle | None = getattr(connection.app.state, "login_throttle", None)
    if throttle is None:
        return None
    return throttle.guard(connection.client.host if connection.client else None)


async def authenticate_authorization(session: AsyncSession, header: str, organization_key: str | None, *,
                                     guard: AttemptGuard | None, cache: PrincipalCache | None = None,
                                     pending: list[CredentialUse] | None = None) -> Actor | None:
    """An Authorization value's actor; None when it is empty. A token's due use is appended to
    `pending` (recorded by a write transaction), never written here."""
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return await authenticate_token(session, credentials.strip(), touch=False, cache=cache, guard=guard,
                                        pending=pending)
    if scheme.lower() == "basic" and credentials.strip():
        return await authenticate_basic(session, credentials, organization_key, touch=False, cache=cache,
                                        guard=guard, pending=pending)
    if header:
        raise NotAuthenticated("Use 'Authorization: Bearer <token>' or Basic email:token.")
    return None


async def authenticate_header(session: AsyncSession, connection: HTTPConnection, *,
                              cache: PrincipalCache | None = None,
                              pending: list[CredentialUse] | None = None) -> Actor | None:
    """The Authorization header's actor (X-Tessera-Org names the organization of an ambiguous
    password); None when there is no header."""
    header = connection.headers.get("authorization", "")
    if not header:
        return None
    return await authenticate_authorization(session, header, connection.headers.get("x-tessera-org"),
                                            guard=attempt_guard(connection), cache=cache, pending=pending)


async def authenticate_connection(session: AsyncSession, connection: HTTPConnection, *, missing: str,
                                  cache: PrincipalCache | None = None,
                                  pending: list[CredentialUse] | None = None) -> Actor:
    """The header's actor, else the session cookie's; NotAuthenticated(`missing`) with neither.
    A cookie's changes must also pass `csrf_matches`, which the caller checks."""
    actor = await authenticate_header(session, connection, cache=cache, pending=pending)
    if actor is not None:
        return actor
    if cookie := connection.cookies.get(SESSION_COOKIE):
        return await authenticate_session(session, cookie, pending=pending)
    raise NotAuthenticated(missing)


async def authenticate_websocket(session: AsyncSession, connection: HTTPConnection, settings: Settings) -> Actor:
    """A WebSocket handshake: the Authorization header, or the browser's session cookie. A
    cookie counts only from our own pages (Origin = settings.base_url), since any site may open
    a WebSocket to us and the browser would attach the cookie (cross-site WebSocket hijacking)."""
    actor = await authenticate_header(session, connection)
    if actor is not None:
        return actor
    cookie = connection.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("Authenticate with an Authorization header, a session cookie or ?ticket=.")
    validate_own_origin(origin=connection.headers.get("origin"), referer=None, base_url=settings.base_url,
                     host=connection.headers.get("host"))
    return await authenticate_session(session, cookie)


def csrf_matches(actor: Actor, sent: str | None) -> bool:
    """Whether a change may proceed: anything but a browser session needs no token; a session
    must send the one it was given (compared in constant time)."""
    if actor.via != "session":
        return True
    return bool(actor.csrf_token) and hmac.compare_digest((sent or "").encode(), (actor.csrf_token or "").encode())


async def record_failed_signin(database: Database, error: NotAuthenticated | RateLimited, *, email: str,
                               organization_key: str | None) -> None:
    """The audit record of a refused password sign-in (RateLimited: refused by the lockout),
    written in its own transaction after the sign-in's has rolled back
    (tessera.tenancy.auth.do_record_signin_failure)."""
    locked = isinstance(error, RateLimited)
    async with database.unit_of_work() as session:
        await do_record_signin_failure(session, email=email, organization_key=organization_key or None,
                                       reason="locked_out" if locked else error.code or "not_authenticated",
                                       locked=locked)


async def record_refused_authorization(database: Database, authorization: str, error: NotAuthenticated | RateLimited,
                                       *, organization_key: str | None) -> None:
    """The audit record of refused Authorization credentials, in a transaction of its own: an
    API token of an organization (tessera.tenancy.auth.do_record_token_refusal), or a Basic
    email:password (as a refused sign-in). Recording must not change the client's answer: a
    failure to record is logged, and the refusal stands."""
    scheme, _, credentials = authorization.strip().partition(" ")
    token = email = None
    if scheme.lower() == "bearer":
        token = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            email, _, secret = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return
        if secret.startswith(TOKEN_PREFIX):
            token, email = secret, None
        elif not email.strip() or not secret:
            return
    try:
        if token:
            async with database.unit_of_work() as session:
                await do_record_token_refusal(session, token=token, reason=error.code or "not_authenticated")
        elif email:
            await record_failed_signin(database, error, email=email, organization_key=organization_key)
    except Exception:  # noqa: BLE001 - the refusal is the answer; a lost record is logged
        log.exception("could not record a refused credential")
