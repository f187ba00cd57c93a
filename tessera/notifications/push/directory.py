"""Who the push channel can reach: the notification fan-out asks each channel's directory
(the ChannelDirectory protocol of tessera.notifications.channels) which of its recipients it
can reach, and enqueues a delivery for those only. For push: users with at least one browser
subscribed; the target is what operators read in the delivery history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.delivery.models import Channel
from tessera.notifications.push.models import PushSubscription
from tessera.tenancy.models import User


class PushDirectory:
    channel = Channel.PUSH

    async def reachable(self, session: AsyncSession, organization_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        """user id -> "push: N browser(s)", for the active users of the organization with a subscription."""
        if not user_ids:
            return {}
        rows = (await session.execute(
            select(PushSubscription.user_id, func.count()).join(User, User.id == PushSubscription.user_id).where(
                PushSubscription.organization_id == organization_id,
                PushSubscription.user_id.in_(sorted(set(user_ids))), User.active.is_(True))
            .group_by(PushSubscription.user_id))).all()
        return {user_id: f"push: {count} browser{'s' if count != 1 else ''}" for user_id, count in rows}
