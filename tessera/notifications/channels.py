"""Which channels can reach which users. The fan-out asks a directory per channel; a channel
with no directory is not used. The email, Slack and push helpers provide theirs (an address, a
Slack webhook, a push subscription); the inbox reaches every user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.delivery.models import Channel

# A customer (tenancy.models.CUSTOMER_ROLE) has an address and nothing to sign in to: no inbox
# to read, no Slack link or push subscription.
CUSTOMER_CHANNELS = frozenset({Channel.EMAIL})


class ChannelDirectory(Protocol):
    channel: Channel

    async def reachable(self, session: AsyncSession, organization_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        """User id -> target text (an address, what operators read) for the users this channel
        can reach now; users it cannot reach are left out."""
        ...


class InboxDirectory:
    """Every (active, permitted: the fan-out has checked) user has an inbox."""

    channel = Channel.INBOX

    async def reachable(self, session: AsyncSession, organization_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        return {user_id: f"user {user_id}" for user_id in user_ids}
