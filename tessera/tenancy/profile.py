"""What a signed-in user changes about themselves: their password (proving the current one),
and their browser sessions (listed, ended one by one or all but the one asking).

Name and time zone go through service.check_update_user, as PUT /v2/users/{id} does; API tokens
through service.check_issue_api_token and do_revoke_token, as /v2/myself/tokens does."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.base import utcnow
from tessera.errors import InvalidInput, NotFound
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import do_end_user_sessions
from tessera.tenancy.models import User, WebSession
from tessera.tenancy.secrets import digest, hash_password, verify_password
from tessera.tenancy.service import access_user, check_password_strength
from tessera.tenancy.throttle import AttemptGuard


async def check_change_password(session: AsyncSession, actor: Actor, *, current: str, new: str,
                                keep_session: str | None, guard: AttemptGuard | None) -> User:
    """A wrong current password counts against the account and the client exactly as a failed
    sign-in does (`guard`, tenancy.throttle), so this form is no way around the lockout. Every
    browser session of the user but `keep_session` (the asking browser's secret) ends; API
    tokens stay, as they do for a password changed through the API."""
    user = await access_user(session, actor, actor.user_id)
    if guard is not None:
        await guard.check_password(user.email)
    if not await asyncio.to_thread(verify_password, user.password_hash, current):
        if guard is not None:
            await guard.password_failed(user.email)
        raise InvalidInput("The current password is not correct.", field="current_password")
    if guard is not None:
        await guard.password_succeeded(user.email)
    check_password_strength(new, field="new_password")
    if new == current:
        raise InvalidInput("The new password is the current one; choose another.", field="new_password")
    user.password_hash = await asyncio.to_thread(hash_password, new)
    await do_end_user_sessions(session, organization_id=user.organization_id, user_id=user.id,
                               keep_secret=keep_session)
    await session.flush()
    return user


@dataclass(frozen=True)
class SessionView:
    id: int
    created_at: datetime
    last_seen_at: datetime | None
    expires_at: datetime
    user_agent: str | None
    ip_address: str | None
    current: bool


async def list_web_sessions(session: AsyncSession, actor: Actor, *, current_secret: str | None) -> list[SessionView]:
    """The actor's own unexpired browser sessions, the most recently seen first; `current`
    marks the one whose secret is `current_secret`. Never another user's."""
    current_hash = digest(current_secret) if current_secret else None
    rows: Sequence[WebSession] = (await session.scalars(
        select(WebSession).where(WebSession.organization_id == actor.organization_id,
                                 WebSession.user_id == actor.user_id, WebSession.expires_at > utcnow())
        .order_by(WebSession.last_seen_at.desc().nulls_last(), WebSession.id.desc()))).all()
    return [SessionView(row.id, row.created_at, row.last_seen_at, row.expires_at, row.user_agent, row.ip_address,
                        row.session_hash == current_hash) for row in rows]


async def do_end_own_session(session: AsyncSession, actor: Actor, *, session_id: int) -> None:
    """Ends one of the actor's own sessions (NotFound for anyone else's, as for a missing one)."""
    result = await session.execute(delete(WebSession).where(
        WebSession.organization_id == actor.organization_id, WebSession.user_id == actor.user_id,
        WebSession.id == session_id))
    if not result.rowcount:
        raise NotFound("Session not found.")
    record(session, organization_id=actor.organization_id, action="auth.session_ended", object_type="user",
           object_id=actor.user_id, changes={"session_id": session_id})
