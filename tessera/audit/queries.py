"""Reading the audit log: filtered pages newest first, and the export as JSON lines.

Pages follow a cursor, the last sequence seen (sequences grow with time within an
organization, and (organization_id, sequence) is unique and indexed), not an offset: an
organization's log grows without end and an offset deep into it reads every row before it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.canonical import timestamp
from tessera.audit.models import AuditRecord
from tessera.errors import InvalidInput

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """`action`: an exact action, or a prefix ending in "." (`issue.` is every issue action)."""

    action: str | None = None
    actor_user_id: int | None = None
    object_type: str | None = None
    object_id: int | None = None
    object_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: list[AuditRecord]
    next_cursor: str | None


def _filtered(query: Select[Any], where: AuditFilter) -> Select[Any]:
    if where.action:
        query = query.where(AuditRecord.action.startswith(where.action, autoescape=True)
                            if where.action.endswith(".") else AuditRecord.action == where.action)
    if where.actor_user_id is not None:
        query = query.where(AuditRecord.actor_user_id == where.actor_user_id)
    if where.object_type:
        query = query.where(AuditRecord.object_type == where.object_type)
    if where.object_id is not None:
        query = query.where(AuditRecord.object_id == where.object_id)
    if where.object_key:
        query = query.where(AuditRecord.object_key == where.object_key.strip().upper())
    if where.since is not None:
        query = query.where(AuditRecord.at >= where.since)
    if where.until is not None:
        query = query.where(AuditRecord.at <= where.until)
    return query


def check_range(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since > until:
        raise InvalidInput("'since' must not be after 'until'.", field="since")


def encode_cursor(record: AuditRecord) -> str:
    return base64.urlsafe_b64encode(f"a{record.sequence}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not text.startswith("a"):
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("'cursor' must be a next_cursor this API returned.", field="cursor") from None


async def list_records(session: AsyncSession, *, organization_id: int, where: AuditFilter, limit: int = 50,
                       cursor: str | None = None) -> AuditPage:
    """Newest first, `limit` at a time. The caller has checked that the actor may read the log."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"'limit' must be from 1 to {MAX_PAGE}.", field="limit")
    check_range(where.since, where.until)
    query = _filtered(select(AuditRecord).where(AuditRecord.organization_id == organization_id), where)
    if cursor:
        query = query.where(AuditRecord.sequence < decode_cursor(cursor))
    rows = list((await session.scalars(query.order_by(AuditRecord.sequence.desc()).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, encode_cursor(rows[-1]) if more else None)


def record_view(record: AuditRecord) -> dict[str, Any]:
    """A record as /v2/audit and the export show it (the export's lines carry every hashed field
    and both hashes, so a copy can be verified on its own)."""
    return {"sequence": record.sequence, "at": timestamp(record.at), "action": record.action,
            "actor": {"user_id": record.actor_user_id, "token_id": record.actor_token_id, "ip": record.ip,
                      "user_agent": record.user_agent},
            "request_id": record.request_id,
            "object": {"type": record.object_type, "id": record.object_id, "key": record.object_key},
            "changes": record.changes, "previous_hash": record.previous_hash, "hash": record.hash}


async def export_lines(session: AsyncSession, *, organization_id: int, since: datetime | None = None,
                       batch: int = 1000) -> AsyncIterator[str]:
    """The organization's records, oldest first, one JSON object a line, read in batches."""
    after = 0
    while True:
        query = select(AuditRecord).where(AuditRecord.organization_id == organization_id,
                                          AuditRecord.sequence > after)
        if since is not None:
            query = query.where(AuditRecord.at >= since)
        rows = (await session.scalars(query.order_by(AuditRecord.sequence).limit(batch))).all()
        for row in rows:
            yield json.dumps(record_view(row), ensure_ascii=False, sort_keys=True)
        if len(rows) < batch:
            return
        after = rows[-1].sequence
