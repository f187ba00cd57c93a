"""Retention: an organization may keep its audit records for a number of days (default: for
ever). Purging the older ones keeps the rest verifiable: the chain's checkpoint takes the last
purged record's sequence and hash, and verification starts from it (tessera.audit.verify)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.audit.models import AuditChain, AuditRecord
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.errors import InvalidInput

MAX_RETENTION_DAYS = 36_500


async def chain_of(session: AsyncSession, organization_id: int) -> AuditChain | None:
    return await session.get(AuditChain, organization_id)


async def set_retention(session: AsyncSession, *, organization_id: int, days: int | None) -> None:
    """`days=None`: keep every record. The change is itself recorded."""
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput(f"'retention_days' must be from 1 to {MAX_RETENTION_DAYS}, or null to keep every "
                           "record.", field="retention_days")
    chain = await session.get(AuditChain, organization_id, with_for_update=True)
    before = chain.retention_days if chain else None
    if chain is None:
        session.add(AuditChain(organization_id=organization_id, sequence=0, hash="", retention_days=days,
                               checkpoint_sequence=0, checkpoint_hash=""))
    else:
        chain.retention_days = days
    await session.flush()
    record(session, organization_id=organization_id, action="audit.retention_changed",
           object_type="organization", object_id=organization_id,
           changes={"retention_days": {"from": before, "to": days}})


async def purge_expired(session: AsyncSession, *, organization_id: int, now: datetime | None = None) -> int:
    """Deletes the records older than the organization's retention (none when it keeps every
    record) and moves the checkpoint to the last one deleted. Returns how many were deleted."""
    chain = await session.get(AuditChain, organization_id, with_for_update=True)
    if chain is None or chain.retention_days is None:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=chain.retention_days)
    last = (await session.execute(
        select(AuditRecord.sequence, AuditRecord.hash)
        .where(AuditRecord.organization_id == organization_id, AuditRecord.at < cutoff)
        .order_by(AuditRecord.sequence.desc()).limit(1))).first()
    if last is None:
        return 0
    # Sequences grow with time: everything up to the newest expired record goes, never a gap.
    result = await session.execute(delete(AuditRecord).where(AuditRecord.organization_id == organization_id,
                                                             AuditRecord.sequence <= last.sequence))
    await session.execute(update(AuditChain).where(AuditChain.organization_id == organization_id).values(
        checkpoint_sequence=last.sequence, checkpoint_hash=last.hash,
        checkpoint_note=f"purged by retention ({chain.retention_days} days) at {utcnow().isoformat()}"))
    purged = int(result.rowcount or 0)
    record(session, organization_id=organization_id, action="audit.purged", object_type="organization",
           object_id=organization_id, changes={"purged": purged, "through_sequence": last.sequence})
    return purged


async def purge_all_expired(database: Database, *, organization_id: int | None = None,
                            now: datetime | None = None) -> int:
    """purge_expired for every organization with a retention policy (or the one named), each in
    a transaction of its own: the worker's schedule (tessera.notifications.housekeeping)."""
    async with database.unit_of_work(write=False) as session:
        query = select(AuditChain.organization_id).where(AuditChain.retention_days.is_not(None))
        if organization_id is not None:
            query = query.where(AuditChain.organization_id == organization_id)
        kept = (await session.scalars(query.order_by(AuditChain.organization_id))).all()
    total = 0
    for each in kept:
        async with database.unit_of_work() as session:
            total += await purge_expired(session, organization_id=each, now=now)
    return total
