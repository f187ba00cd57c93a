"""One-click unsubscribe (RFC 8058): a signed link turns one channel off for one user, with no
session. The email sender builds the token with exactly
`sign(settings.secret_key, UNSUBSCRIBE, {"o": organization_id, "u": user_id, "c": channel})`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.crypto.signed import BadSignature, sign, verify
from tessera.errors import InvalidInput
from tessera.notifications.preferences import CHANNELS, do_update_preferences
from tessera.tenancy.models import User

UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True, slots=True)
class Unsubscription:
    organization_id: int
    user_id: int
    channel: str


def unsubscribe_token(secret_key: str, *, organization_id: int, user_id: int, channel: str) -> str:
    return sign(secret_key, UNSUBSCRIBE, {"o": organization_id, "u": user_id, "c": channel})


async def access_unsubscription(session: AsyncSession, *, secret_key: str, token: str) -> Unsubscription:
    """What a token asks, for an existing user of its organization; InvalidInput (400) for a
    tampered token, one made for another purpose, or one naming nobody."""
    try:
        data = verify(secret_key, UNSUBSCRIBE, token)
    except BadSignature as error:
        raise InvalidInput(f"The unsubscribe link is not valid: {error}.", field="token") from None
    organization_id, user_id, channel = data.get("o"), data.get("u"), data.get("c")
    if not isinstance(organization_id, int) or not isinstance(user_id, int) or channel not in CHANNELS:
        raise InvalidInput("The unsubscribe link is not valid.", field="token")
    found = await session.scalar(select(User.id).where(User.organization_id == organization_id, User.id == user_id))
    if found is None:
        raise InvalidInput("The unsubscribe link is not valid.", field="token")
    return Unsubscription(organization_id, user_id, channel)


async def do_unsubscribe(session: AsyncSession, unsubscription: Unsubscription) -> None:
    await do_update_preferences(session, organization_id=unsubscription.organization_id,
                                user_id=unsubscription.user_id, change={"channels": {unsubscription.channel: False}})
