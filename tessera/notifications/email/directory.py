"""Who can be emailed: active users of the organization, at their address, and nobody when no
SMTP server is configured (the fan-out then makes no email deliveries at all)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.delivery.models import Channel
from tessera.tenancy.models import User


class EmailDirectory:
    channel = Channel.EMAIL

    def __init__(self, settings: Settings) -> None:
        self.enabled = bool(settings.smtp_url)

    async def reachable(self, session: AsyncSession, organization_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        if not self.enabled or not user_ids:
            return {}
        rows = await session.execute(select(User.id, User.email).where(
            User.organization_id == organization_id, User.id.in_(sorted(set(user_ids))), User.active.is_(True),
            User.email != ""))
        return {row.id: row.email for row in rows}
