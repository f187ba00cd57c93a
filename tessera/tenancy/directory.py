"""Finding users of one organization by what clients type: an email (Jira Server's username),
an id, or part of a name. Used where an API names users by login rather than by id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tessera.db.refs import parse_id
from tessera.tenancy.models import CUSTOMER_ROLE, User

MAX_LOGIN = 320


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get_user_by_login(session: AsyncSession, organization_id: int, ref: object) -> User | None:
    """By email (any case) or by id ("42", 42)."""
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        return None
    text = str(ref).strip()
    if not text or len(text) > MAX_LOGIN:
        return None
    match = func.lower(User.email) == text.lower()
    user_id = parse_id(ref)  # the id as sent: " 42 " is not user 42 (emails are trimmed, ids are not)
    if user_id is not None:
        match = or_(match, User.id == user_id)
    return (await session.scalars(select(User).where(User.organization_id == organization_id, match)
                                  .order_by(User.id).limit(1))).first()


async def search_users(session: AsyncSession, organization_id: int, *, text: str, include_active: bool = True,
                       include_inactive: bool = False, start_at: int = 0, max_results: int = 50,
                       only: Sequence[ColumnElement[bool]] = ()) -> Sequence[User]:
    """Users whose email starts with `text` or whose name contains it (any case); "." or "%"
    alone (or nothing) matches everyone, as in Jira Server. Exact email matches come first.
    `only`: further conditions on users (e.g. who holds a permission in a project)."""
    if not include_active and not include_inactive:
        return []
    wanted = text.strip().lower()[:MAX_LOGIN]
    conditions = [User.organization_id == organization_id, User.role != CUSTOMER_ROLE, *only]  # pickers: no customers
    if include_active != include_inactive:
        conditions.append(User.active.is_(include_active))
    if wanted not in ("", ".", "%", "*"):
        pattern = _escape(wanted)
        conditions.append(or_(func.lower(User.email).like(f"{pattern}%", escape="\\"),
                              func.lower(User.display_name).like(f"%{pattern}%", escape="\\")))
    exact_first = (func.lower(User.email) != wanted)
    return (await session.scalars(select(User).where(*conditions)
                                  .order_by(exact_first, func.lower(User.display_name), User.id)
                                  .offset(start_at).limit(max_results))).all()
