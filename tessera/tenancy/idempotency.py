"""Idempotency-Key for creates: a client that lost the response to a POST sends it again with the
same key and gets the first response back instead of a second issue, comment, worklog or
attachment (as Stripe does, and the IETF draft "The Idempotency-Key HTTP Header Field").

A key belongs to one user of one organization and lives KEY_TTL. It is claimed (a row inserted)
in the create's own transaction, before the create, and the response is stored in that same
transaction, before it commits: a crash leaves either the create and its key or neither, and a
failed create (any error) leaves no key, so its retry runs afresh. Of two requests with one key
at once, the second waits for the first's transaction (PostgreSQL's unique index; SQLite has one
writer at a time), then replays its response: never two creates.

Expired keys are purged lazily: each claim deletes its organization's keys older than KEY_TTL
(one range of the organization/created_at index), so an organization that sends keys keeps at
most a day of them (and an expired key may be used again). An organization that stops sending
keys keeps its last day's until it sends one again or is deleted; there is no periodic job."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ForeignKey, Index, Integer, String, Text, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdType, JsonType, UTCDateTime, utcnow
from tessera.db.insert_ignoring import insert_ignoring
from tessera.errors import InvalidInput, TesseraError
from tessera.tenancy.actor import Actor

KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_org_created", "organization_id", "created_at"),)

    organization_id: Mapped[int] = mapped_column(IdType, ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict | None] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class IdempotencyKeyReused(TesseraError):
    """The key came before with another request (another body or another endpoint)."""

    code = "idempotency_key_reused"
    status = 422


class IdempotencyKeyInUse(TesseraError):
    """Only if a row was committed without its response, which claim/record never do."""

    code = "idempotency_key_in_use"
    status = 409


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


class Replayed(Exception):  # noqa: N818 - not an error: the first response, to send again
    """Raised by claim_key when the key's first request has already created: the transaction
    rolls back (it changed nothing) and the edge sends `response` again."""

    def __init__(self, response: StoredResponse) -> None:
        super().__init__("replayed")
        self.response = response


class IdempotentWrite(Protocol):
    """A transport's hook around a create that opens its own transaction (attachments)."""

    async def claim(self, session: AsyncSession, actor: Actor) -> None:
        """First in the transaction; raises Replayed (or IdempotencyKeyReused)."""
        ...

    async def record(self, session: AsyncSession, actor: Actor, created: Any) -> None:
        """Last in the transaction: stores the response the transport renders for `created`."""
        ...


def validate_idempotency_key(text: str) -> str:
    """Printable ASCII, 1 to 255 characters (a UUID is the usual choice)."""
    key = text.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise InvalidInput(f"Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID, say).",
                           field="Idempotency-Key", code="invalid_idempotency_key")
    return key


def request_fingerprint(method: str, path: str, body: bytes | str) -> str:
    """What makes two requests the same one: method, path and body; a JSON body compared by its
    value (key order and spacing aside), anything else byte for byte."""
    raw = body.encode() if isinstance(body, str) else body
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = raw
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def _insert(dialect: str):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT DO NOTHING, which both databases spell alike but SQLAlchemy builds
    per dialect. On PostgreSQL it waits for a concurrent, uncommitted claim of the same key and
    then does nothing if that one committed: the transaction goes on (no failed statement)."""
    return insert_ignoring(dialect, IdempotencyKey, index_elements=["organization_id", "user_id", "key"])


async def claim_key(session: AsyncSession, *, actor: Actor, key: str, fingerprint: str,
                    now: datetime | None = None) -> None:
    """Returns when this request is the key's first (the key is then held by this transaction
    until it ends; call record_response before it commits). Raises Replayed with the first
    response, or IdempotencyKeyReused when the key came with another request."""
    now = now or utcnow()
    await session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.organization_id == actor.organization_id, IdempotencyKey.created_at < now - KEY_TTL)
        .execution_options(synchronize_session=False))
    dialect = (await session.connection()).dialect.name
    inserted = await session.execute(_insert(dialect).values(
        organization_id=actor.organization_id, user_id=actor.user_id, key=key, fingerprint=fingerprint,
        created_at=now))
    if inserted.rowcount == 1:
        return
    row = (await session.execute(select(IdempotencyKey.fingerprint, IdempotencyKey.response_status,
                                        IdempotencyKey.response_body, IdempotencyKey.response_headers).where(
        IdempotencyKey.organization_id == actor.organization_id, IdempotencyKey.user_id == actor.user_id,
        IdempotencyKey.key == key))).one()
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was used with another request (another body or "
                                   "endpoint) in the last 24 hours; use a new key for a new request.",
                                   field="Idempotency-Key")
    if row.response_status is None or row.response_body is None:
        raise IdempotencyKeyInUse("A request with this Idempotency-Key has not finished; try again later.",
                                  field="Idempotency-Key")
    raise Replayed(StoredResponse(row.response_status, row.response_body, dict(row.response_headers or {})))


async def record_response(session: AsyncSession, *, actor: Actor, key: str, response: StoredResponse) -> None:
    """In the transaction that claimed the key, after the create, before the commit."""
    await session.execute(update(IdempotencyKey).where(
        IdempotencyKey.organization_id == actor.organization_id, IdempotencyKey.user_id == actor.user_id,
        IdempotencyKey.key == key).values(response_status=response.status, response_body=response.body,
                                          response_headers=response.headers)
        .execution_options(synchronize_session=False))
