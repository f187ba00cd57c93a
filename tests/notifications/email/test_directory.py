"""Who the email channel reaches, on both databases: active users of the organization at their
address; nobody of another organization; nobody at all without an SMTP server."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import update

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.models import Channel
from tessera.notifications.email.directory import EmailDirectory
from tessera.tenancy.models import User
from tests.support import OrgHandle, UserHandle, make_user_async


async def test_active_users_of_the_organization_only(settings: Settings, database_url: str, org: OrgHandle,
                                                     other_org: OrgHandle, member: UserHandle) -> None:
    leaver = await make_user_async(database_url, org)
    database = Database(settings)
    try:
        async with database.unit_of_work() as session:
            await session.execute(update(User).where(User.id == leaver.user_id).values(active=False))
        directory = EmailDirectory(replace(settings, smtp_url="smtp://127.0.0.1:25"))
        assert directory.channel is Channel.EMAIL
        asked = [member.user_id, leaver.user_id, org.admin_user_id, other_org.admin_user_id, 10**12]
        async with database.unit_of_work(write=False) as session:
            reached = await directory.reachable(session, org.organization_id, asked)
            unconfigured = await EmailDirectory(replace(settings, smtp_url=None)).reachable(
                session, org.organization_id, asked)
        assert reached == {member.user_id: member.email, org.admin_user_id: org.admin_email}
        assert unconfigured == {}
    finally:
        await database.dispose()
