"""What operators read of the deliveries: a filtered page, newest first, and one delivery with
its attempts. Everything is of one organization, except the operator's view across organizations
that `tessera deliveries` offers on the command line (organization_id=None); the API never
passes None.

Paging is keyset (created_at, id), newest first, not offset: the table grows by millions of
rows a day, and an offset page deep into it reads every row before it. The cursor is opaque to
clients; a page has no total for the same reason (a count of a busy organization's history is
a scan)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.listing import name_contains
from tessera.delivery.models import Channel, Delivery, DeliveryAttempt, DeliveryState
from tessera.errors import InvalidInput, NotFound
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import require_org_admin

MAX_PAGE = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Every part optional; the parts combine with AND. `states` and `channels` match any of
    their values; `target` is a case-insensitive substring of the target text (a URL, an address)."""

    states: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    target_id: int | None = None
    target: str | None = None
    event_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: list[Delivery]
    # None on the last page.
    next_cursor: str | None


def check_operator(actor: Actor) -> int:
    """The organization whose deliveries `actor` may read and retry: its administrators'. Their
    payloads hold issues and comments of any project, so project roles do not suffice."""
    require_org_admin(actor, "Only an organization administrator may see and retry its deliveries.")
    return actor.organization_id


def check_filter(*, states: list[str] | tuple[str, ...] = (), channels: list[str] | tuple[str, ...] = (),
                 target_id: int | None = None, target: str | None = None, event_type: str | None = None,
                 since: datetime | None = None, until: datetime | None = None) -> DeliveryFilter:
    """Validates what a client sent, naming the parameter at fault (`state`, `channel`, ...).
    Several values of one parameter may come repeated or comma-separated."""
    parsed_states = _choices(states, DeliveryState, "state")
    parsed_channels = _choices(channels, Channel, "channel")
    if target is not None and len(target) > 500:
        raise InvalidInput("'target' is at most 500 characters.", field="target")
    if event_type is not None and not 0 < len(event_type) <= 64:
        raise InvalidInput("'event' is an event type name of 1 to 64 characters.", field="event")
    since, until = _aware(since), _aware(until)
    if since is not None and until is not None and since > until:
        raise InvalidInput("'since' must not be after 'until'.", field="since")
    return DeliveryFilter(states=parsed_states, channels=parsed_channels, target_id=target_id,
                          target=target or None, event_type=event_type, since=since, until=until)


def _choices(values: list[str] | tuple[str, ...], allowed: type[DeliveryState] | type[Channel],
             name: str) -> tuple[str, ...]:
    parts = [part.strip().lower() for value in values for part in value.split(",") if part.strip()]
    known = [member.value for member in allowed]
    for part in parts:
        if part not in known:
            raise InvalidInput(f"'{name}' must be one of {', '.join(known)}; got {part[:40]!r}.", field=name)
    return tuple(dict.fromkeys(parts))


def _aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC, as the API's own times are."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def encode_cursor(delivery: Delivery) -> str:
    # Whole microseconds, exactly (a float timestamp would round some of them).
    micros = (_aware(delivery.created_at) - _EPOCH) // _MICRO
    return base64.urlsafe_b64encode(f"{micros}:{delivery.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        micros, row_id = (int(part) for part in text.split(":"))
        moment = _EPOCH + micros * _MICRO
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        raise InvalidInput("'cursor' must be a next_cursor this API returned.", field="cursor") from None
    return moment, row_id


async def list_deliveries(session: AsyncSession, *, organization_id: int | None, where: DeliveryFilter,
                          limit: int = 50, cursor: str | None = None) -> DeliveryPage:
    """Newest first. `organization_id=None` lists every organization's (operators only)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"'limit' must be from 1 to {MAX_PAGE}.", field="limit")
    query = select(Delivery)
    if organization_id is not None:
        query = query.where(Delivery.organization_id == organization_id)
    if where.states:
        query = query.where(Delivery.state.in_(where.states))
    if where.channels:
        query = query.where(Delivery.channel.in_(where.channels))
    if where.target_id is not None:
        query = query.where(Delivery.target_id == where.target_id)
    if where.target:
        query = query.where(name_contains(Delivery.target, where.target))
    if where.event_type:
        query = query.where(Delivery.event_type == where.event_type)
    if where.since is not None:
        query = query.where(Delivery.created_at >= where.since)
    if where.until is not None:
        query = query.where(Delivery.created_at <= where.until)
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        # A row comparison, which PostgreSQL matches to the index's order (SQLite has them since 3.15).
        query = query.where(tuple_(Delivery.created_at, Delivery.id) < tuple_(created_at, row_id))
    rows = list((await session.scalars(
        query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(rows, encode_cursor(rows[-1]) if more else None)


async def access_delivery(session: AsyncSession, *, organization_id: int | None, delivery_id: int) -> Delivery:
    """The delivery, or NotFound: another organization's is exactly as missing as none at all."""
    query = select(Delivery).where(Delivery.id == delivery_id)
    if organization_id is not None:
        query = query.where(Delivery.organization_id == organization_id)
    delivery = await session.scalar(query)
    if delivery is None:
        raise NotFound("No delivery has that id.", field="delivery_id")
    return delivery


async def attempts_of(session: AsyncSession, delivery: Delivery) -> list[DeliveryAttempt]:
    """Oldest first, as they happened."""
    return list((await session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id,
                                      DeliveryAttempt.organization_id == delivery.organization_id)
        .order_by(DeliveryAttempt.number, DeliveryAttempt.id))).all())
