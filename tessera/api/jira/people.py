"""Jira's ways of naming a user in a request (`{"name": "bob"}`, `{"key": ...}`,
`{"accountId": "42"}`, `{"emailAddress": ...}` or a bare string) turned into Tessera's user ids.
A name is the user's email; an accountId is the user id (see shapes.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.tenancy.actor import Actor
from tessera.tenancy.directory import get_user_by_login
from tessera.tenancy.models import User

AUTOMATIC = "-1"  # Jira's "Automatic" assignee: the project's default (its lead)


def login_of(value: object) -> object:
    if isinstance(value, dict):
        for key in ("name", "key", "accountId", "emailAddress", "id"):
            if value.get(key) not in (None, ""):
                return value[key]
        return None
    return value


async def find_user(session: AsyncSession, actor: Actor, value: object) -> User | None:
    login = login_of(value)
    if login is None:
        return None
    return await get_user_by_login(session, actor.organization_id, login)


async def user_id_for(session: AsyncSession, actor: Actor, value: object, *, field: str,
                      automatic_id: int | None = None) -> int | None:
    """None clears the field; "-1" means the project's default (`automatic_id`)."""
    login = login_of(value)
    if login is None:
        return None
    if str(login) == AUTOMATIC:
        return automatic_id
    if str(login).strip().lower() == actor.email.lower() or str(login) == str(actor.user_id):
        return actor.user_id
    user = await get_user_by_login(session, actor.organization_id, login)
    if user is None:
        raise InvalidInput(f"User '{str(login)[:100]}' does not exist.", field=field)
    return user.id
