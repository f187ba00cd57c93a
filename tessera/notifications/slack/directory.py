"""Who can get Slack notifications: active users who set their own incoming webhook."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.delivery.models import Channel
from tessera.notifications.slack.models import SlackTarget
from tessera.tenancy.models import User


class SlackDirectory:
    """The address text is what operators read in the deliveries list: never the URL (a secret)."""

    channel = Channel.SLACK

    async def reachable(self, session: AsyncSession, organization_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        rows = await session.execute(
            select(SlackTarget.user_id).join(User, User.id == SlackTarget.user_id).where(
                SlackTarget.organization_id == organization_id, User.organization_id == organization_id,
                SlackTarget.user_id.in_(sorted(set(user_ids))), User.active.is_(True)))
        return {user_id: f"slack: user {user_id}" for (user_id,) in rows}
