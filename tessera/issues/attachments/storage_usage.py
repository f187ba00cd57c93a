"""Per-organization storage accounting against the quota (`tessera set-limits --storage-mb`).

Bytes in use change only through one guarded statement, `UPDATE ... SET used = used + :size
WHERE used + :size <= :quota`, in the transaction that adds the attachment rows. Of two
concurrent uploads that together pass the quota, the second's UPDATE waits for the first's row
lock (PostgreSQL re-checks its WHERE against the committed row; SQLite runs writers one at a
time), matches nothing and is refused: usage can never exceed the quota."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.insert_ignoring import insert_ignoring
from tessera.errors import PayloadTooLarge
from tessera.issues.attachments.models import OrganizationStorage
from tessera.tenancy.limits import effective_limits
from tessera.tenancy.models import Organization

MIB = 1024 * 1024


@dataclass(frozen=True)
class StorageUsage:
    used_bytes: int
    quota_bytes: int

    @property
    def free_bytes(self) -> int:
        return max(0, self.quota_bytes - self.used_bytes)


def quota_exceeded(usage: StorageUsage, requested: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The organization's attachment storage quota is used up: {usage.used_bytes} of {usage.quota_bytes} bytes "
        f"are in use and this upload needs {requested} more.", code="storage_quota_exceeded",
        data={"used_bytes": usage.used_bytes, "quota_bytes": usage.quota_bytes, "requested_bytes": requested})


async def quota_bytes(session: AsyncSession, organization_id: int) -> int:
    organization = await session.get(Organization, organization_id)
    if organization is None:
        return 0
    return effective_limits(organization).storage_mb * MIB


async def storage_usage(session: AsyncSession, organization_id: int) -> StorageUsage:
    used = await session.scalar(select(OrganizationStorage.used_bytes).where(
        OrganizationStorage.organization_id == organization_id))
    return StorageUsage(used_bytes=used or 0, quota_bytes=await quota_bytes(session, organization_id))


def validate_fits(usage: StorageUsage, requested: int) -> None:
    """An early refusal from a snapshot (before any byte is stored); `reserve_storage` decides."""
    if usage.used_bytes + requested > usage.quota_bytes:
        raise quota_exceeded(usage, requested)


async def _ensure_row(session: AsyncSession, organization_id: int) -> None:
    statement = insert_ignoring(session.get_bind().dialect.name, OrganizationStorage, index_elements=["organization_id"])
    await session.execute(statement.values(organization_id=organization_id, used_bytes=0, updated_at=utcnow()))


async def reserve_storage(session: AsyncSession, *, organization_id: int, size: int) -> None:
    """Count `size` more bytes in use, or raise (413, storage_quota_exceeded) if that passes the quota."""
    quota = await quota_bytes(session, organization_id)
    guarded = (update(OrganizationStorage)
               .where(OrganizationStorage.organization_id == organization_id,
                      OrganizationStorage.used_bytes + size <= quota)
               .values(used_bytes=OrganizationStorage.used_bytes + size, updated_at=utcnow())
               .execution_options(synchronize_session=False))
    if (await session.execute(guarded)).rowcount == 1:
        return
    await _ensure_row(session, organization_id)
    if (await session.execute(guarded)).rowcount == 1:
        return
    raise quota_exceeded(await storage_usage(session, organization_id), size)


async def release_storage(session: AsyncSession, *, organization_id: int, size: int) -> None:
    if size <= 0:
        return
    used = OrganizationStorage.used_bytes
    await session.execute(
        update(OrganizationStorage).where(OrganizationStorage.organization_id == organization_id)
        .values(used_bytes=case((used >= size, used - size), else_=0), updated_at=utcnow())
        .execution_options(synchronize_session=False))
