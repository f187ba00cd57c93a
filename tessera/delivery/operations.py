"""What operators do to deliveries: send one again now, and purge the settled ones.

Services flush, never commit: the caller's unit of work owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.delivery.models import Delivery, DeliveryState
from tessera.errors import Conflict, InvalidInput

# What a purge takes unless told otherwise: deliveries whose story is over.
SETTLED = (DeliveryState.DELIVERED.value, DeliveryState.DEAD.value)
# Still on their way (a worker holds it, or will try it again): purging them loses messages.
IN_FLIGHT = (DeliveryState.PENDING.value, DeliveryState.SENDING.value, DeliveryState.FAILED.value)
MAX_PURGE_DAYS = 36_500
# Rows one purge statement deletes (and locks): small enough that a purge of millions never holds
# a long lock or one huge transaction, large enough that the statements' overhead stays small.
PURGE_CHUNK = 5_000


async def check_retry_delivery(session: AsyncSession, *, delivery: Delivery, force: bool = False) -> Delivery:
    """Back to pending, due now. Its attempts (rows and count) are kept: the history shows what
    happened, and the retry policy counts this as one more attempt, so a dead delivery retried
    by hand gets one try (and, failing, is dead again) rather than a fresh series of retries.

    Refused: a delivery a worker is sending (its lease decides), and a delivered one unless
    `force` (which sends it again; its receiver sees the same idempotency key)."""
    if delivery.state == DeliveryState.SENDING:
        raise Conflict("A worker is sending this delivery now; retry it once it has settled.",
                       code="delivery_in_flight", data={"state": delivery.state})
    if delivery.state == DeliveryState.DELIVERED and not force:
        raise Conflict("This delivery was delivered; retry it with force to send it again.",
                       code="already_delivered", data={"state": delivery.state})
    return await do_retry_delivery(session, delivery=delivery)


async def do_retry_delivery(session: AsyncSession, *, delivery: Delivery) -> Delivery:
    now = utcnow()
    # Guarded by the state read: a worker that claimed it in between keeps it (the update then
    # matches nothing and the delivery is answered as it now is).
    await session.execute(update(Delivery).where(Delivery.id == delivery.id, Delivery.state == delivery.state)
                          .values(state=DeliveryState.PENDING.value, next_attempt_at=now, claimed_until=None,
                                  updated_at=now)
                          .execution_options(synchronize_session=False))
    await session.refresh(delivery)
    return delivery


def check_purge(*, states: Iterable[str] = (), older_than_days: float | None = None,
                force: bool = False) -> tuple[tuple[str, ...], float | None]:
    """The states to purge (delivered and dead unless named) and the age, validated: naming a
    state still in flight (pending, sending, failed) needs `force`."""
    chosen = tuple(dict.fromkeys(s.strip().lower() for s in states if s.strip())) or SETTLED
    known = [state.value for state in DeliveryState]
    for state in chosen:
        if state not in known:
            raise InvalidInput(f"'state' must be one of {', '.join(known)}; got {state[:40]!r}.", field="state")
    active = [state for state in chosen if state in IN_FLIGHT]
    if active and not force:
        raise InvalidInput(f"Purging {', '.join(active)} deliveries loses messages on their way; "
                           "name them with force to do it anyway.", field="state")
    if older_than_days is not None and not 0 <= older_than_days <= MAX_PURGE_DAYS:
        raise InvalidInput(f"'older_than_days' must be from 0 to {MAX_PURGE_DAYS}.", field="older_than_days")
    return chosen, older_than_days


async def do_purge_deliveries(session: AsyncSession, *, organization_id: int | None, states: tuple[str, ...],
                              older_than_days: float | None, limit: int = PURGE_CHUNK) -> int:
    """Delete at most `limit` of the deliveries in `states` created more than `older_than_days`
    ago (any age when None), of one organization or (None) of all, oldest ids first; returns how
    many. One chunk: tessera.delivery.retention.purge_deliveries repeats it, a transaction each,
    so a large purge never holds its locks for long.

    Their attempts go with them by the foreign key's ON DELETE CASCADE (SQLite's foreign_keys
    pragma is on for every connection, tessera.db.engine), in the same statement, so no state
    change in between can leave a delivery without its history. The conditions are repeated
    outside the id subquery: a delivery retried (dead -> pending) after the subquery read it is
    re-checked by PostgreSQL on the row's new version and kept."""
    conditions = [Delivery.state.in_(states)]
    if organization_id is not None:
        conditions.append(Delivery.organization_id == organization_id)
    if older_than_days is not None:
        conditions.append(Delivery.created_at < utcnow() - timedelta(days=older_than_days))
    chunk = select(Delivery.id).where(*conditions).order_by(Delivery.id).limit(limit)
    result = await session.execute(delete(Delivery).where(Delivery.id.in_(chunk), *conditions)
                                   .execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)
