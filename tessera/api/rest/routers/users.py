"""/v2/users, /v2/myself, browser sessions and API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from tessera.api.rest.render import user_view
from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.people import (
    FullUserOut,
    MyselfOut,
    NewTokenOut,
    NewUserOut,
    SessionOut,
    TokenListOut,
    UserPageOut,
)
from tessera.api.rest.schemas import (
    Login,
    StoredId,
    TokenCreate,
    UserCreate,
    UserUpdate,
)
from tessera.edge.authentication import SESSION_COOKIE, record_failed_signin
from tessera.edge.context import RequestContext, request_context
from tessera.errors import NotAuthenticated, PermissionDenied, RateLimited
from tessera.issues.views import iso
from tessera.tenancy.auth import (
    authenticate_password,
    authenticate_session,
    do_create_web_session,
    do_end_user_sessions,
    do_end_web_session,
)
from tessera.tenancy.models import ApiToken, Organization
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.service import (
    access_token_owner,
    access_user,
    check_create_user,
    check_issue_api_token,
    check_update_user,
    do_revoke_token,
    list_tokens,
    list_users,
)

router = APIRouter(prefix="/v2", tags=["users"])
Ctx = Annotated[RequestContext, Depends(request_context)]


@router.get("/myself", responses=ok(MyselfOut))
async def myself(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        user = await access_user(session, actor, actor.user_id)
        view = user_view(user, full=True)
        view["organization_key"] = actor.organization_key
        return view


@router.get("/users", responses=ok(UserPageOut))
async def get_users(ctx: Ctx, query: Annotated[str | None, Query(max_length=255)] = None,
                    start_at: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                    max_results: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict:
    async with ctx.transaction() as (session, actor):
        users, total = await list_users(session, actor, query=query, start_at=start_at, max_results=max_results)
        return {"start_at": start_at, "max_results": max_results, "total": total,
                "users": [user_view(u) for u in users]}


@router.post("/users", status_code=201, responses=ok(NewUserOut, 201))
async def create_user(body: UserCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
        organization = await session.get(Organization, actor.organization_id)
        assert organization is not None
        new = await check_create_user(session, organization=organization, email=body.email,
                                      display_name=body.name, password=body.password, role=body.role)
        return {**user_view(new.user, full=True), "api_token": new.api_token}


@router.get("/users/{user_id}", responses=ok(FullUserOut))
async def get_user(user_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return user_view(await access_user(session, actor, user_id), full=True)


@router.put("/users/{user_id}", responses=ok(FullUserOut))
async def update_user(user_id: StoredId, body: UserUpdate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        user = await access_user(session, actor, user_id)
        if (body.role is not None or body.active is not None or user.id != actor.user_id) and not actor.is_org_admin:
            raise PermissionDenied("Only organization administrators may change other users, roles or activity.")
        user = await check_update_user(session, actor, user, display_name=body.name, role=body.role,
                                       active=body.active, password=body.password, time_zone=body.time_zone)
        return user_view(user, full=True)


@router.post("/session", responses=ok(SessionOut))
async def login(body: Login, ctx: Ctx) -> JSONResponse:
    """Browser sign-in: sets an HttpOnly session cookie; send the returned csrf_token as
    X-CSRF-Token on changes made with the cookie."""
    try:
        async with ctx.anonymous() as session:
            actor = await authenticate_password(session, body.email, body.password, body.organization,
                                                guard=ctx.guard)
            secret = await do_create_web_session(
                session, actor=actor, ttl=timedelta(hours=ctx.settings.session_ttl_hours),
                user_agent=ctx.request.headers.get("user-agent"),
                ip_address=ctx.request.client.host if ctx.request.client else None)
            actor = await authenticate_session(session, secret)
    except (NotAuthenticated, RateLimited) as error:
        await record_failed_signin(ctx.database, error, email=body.email, organization_key=body.organization)
        raise
    response = JSONResponse({"user_id": actor.user_id, "organization_key": actor.organization_key,
                             "display_name": actor.display_name, "csrf_token": actor.csrf_token})
    set_session_cookie(response, secret, ctx)
    return response


def set_session_cookie(response: Response, secret: str, ctx: RequestContext) -> None:
    response.set_cookie(SESSION_COOKIE, secret, max_age=ctx.settings.session_ttl_hours * 3600, httponly=True,
                        samesite="lax", secure=ctx.settings.session_cookie_secure, path="/")


@router.delete("/session", status_code=204)
async def logout(ctx: Ctx) -> Response:
    cookie = ctx.request.cookies.get(SESSION_COOKIE)
    if cookie:
        async with ctx.anonymous() as session:
            await do_end_web_session(session, session_secret=cookie)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/session/revoke-all", status_code=204)
async def revoke_all_sessions(ctx: Ctx) -> Response:
    """Signs you out of every browser, this one included. API tokens stay: list and revoke them
    under /v2/myself/tokens."""
    async with ctx.transaction() as (session, actor):
        await do_end_user_sessions(session, organization_id=actor.organization_id, user_id=actor.user_id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _token_views(tokens: Sequence[ApiToken]) -> dict:
    return {"tokens": [{"id": t.id, "name": t.name, "prefix": t.prefix, "revoked": t.revoked, "scope": t.scope,
                        "created": iso(t.created_at), "last_used": iso(t.last_used_at),
                        "expires": iso(t.expires_at)} for t in tokens]}


@router.get("/myself/tokens", responses=ok(TokenListOut))
async def my_tokens(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return _token_views(await list_tokens(session, owner=await access_token_owner(session, actor, actor.user_id)))


@router.get("/users/{user_id}/tokens", responses=ok(TokenListOut))
async def user_tokens(user_id: StoredId, ctx: Ctx) -> dict:
    """A user's API tokens (never the secrets): for the user themselves and for administrators."""
    async with ctx.transaction() as (session, actor):
        return _token_views(await list_tokens(session, owner=await access_token_owner(session, actor, user_id)))


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=204)
async def revoke_user_token(user_id: StoredId, token_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        owner = await access_token_owner(session, actor, user_id)
        await do_revoke_token(session, actor, owner=owner, token_id=token_id)
    return Response(status_code=204)


@router.post("/myself/tokens", status_code=201, responses=ok(NewTokenOut, 201))
async def create_token(body: TokenCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        user = await access_user(session, actor, actor.user_id)
        token = await check_issue_api_token(session, actor, user=user, name=body.name, scope=body.scope,
                                            expires_in_days=body.expires_in_days)
        return {"name": body.name, "api_token": token, "scope": body.scope}


@router.delete("/myself/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        owner = await access_token_owner(session, actor, actor.user_id)
        await do_revoke_token(session, actor, owner=owner, token_id=token_id)
    return Response(status_code=204)

