"""What every administration page shares: the administrators-only gate, the errors a form
shows in place (with the status the API would answer), and paging."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import Conflict, InvalidInput, QuotaExceeded
from tessera.tenancy.actor import Actor
from tessera.tenancy.directory import get_user_by_login
from tessera.tenancy.permissions import require_org_admin
from tessera.web.projects import page_number

REFUSAL = "Only an organization administrator may use the administration pages."
# Refusals a form shows again in place, its input kept; anything else is the error page.
FORM_ERRORS = (InvalidInput, Conflict, QuotaExceeded)
PAGE_SIZE = 25


def require_admin(actor: Actor) -> None:
    require_org_admin(actor, REFUSAL)


@dataclass(frozen=True)
class FormError:
    """Which form (`section`) was refused, the message, and the field it names."""

    section: str
    message: str
    field: str | None

    @classmethod
    def of(cls, section: str, error: InvalidInput | Conflict | QuotaExceeded) -> FormError:
        return cls(section=section, message=error.message, field=error.field)


@dataclass(frozen=True)
class Paging:
    page: int
    size: int
    total: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def paging(page: str, total: int = 0, size: int = PAGE_SIZE) -> Paging:
    return Paging(page=page_number(page), size=size, total=total)


async def user_id_by_login(session: AsyncSession, actor: Actor, login: str, *, field: str) -> int | None:
    """A user named in a form by email or id ("" is nobody); an unknown one names the field."""
    login = (login or "").strip()
    if not login:
        return None
    user = await get_user_by_login(session, actor.organization_id, login)
    if user is None:
        raise InvalidInput(f"No user '{login[:100]}' in this organization.", field=field)
    return user.id
