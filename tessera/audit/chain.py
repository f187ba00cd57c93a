"""Writing audit records: one mechanism, at the end of every writing transaction.

What is recorded. Every data-changing action already writes its domain events to the outbox in
its transaction, and both writers of outbox rows (`events.outbox.emit` and the statements of
`events.outbox_sql`) hand each event to `remember_emitted`, which keeps it on the session
(`session.info[EMITTED]`). Right before COMMIT, `append_pending` turns each of those events into
an audit record (action `<aggregate>.<what happened>`, e.g. `issue.updated`), together with the
explicit records of actions that emit no event (sign-ins, tokens, webhooks ...: `record`). No
endpoint calls the audit log for a data change, and no change commits without its record: the
records are rows of the same transaction.

How the chain is kept. Each record carries its organization's next sequence number and the
previous record's hash, so a writer must know the previous record. The choice here: a per-org
row lock taken at the end of the transaction, just for the append. `audit_chains` holds one row
per organization (last sequence, last hash); `append_pending` runs as the transaction's last
statements: it moves the head with `UPDATE ... RETURNING` (which takes the row lock, waits for
a concurrent appender of the same organization, and reads the head it left), inserts the
records and stores the new head hash, then the transaction commits and releases the lock. The
lock is held for two statements and the COMMIT, never during the work of the transaction, so
writers of one organization do not queue behind each other's work, only behind each other's
append; writers of different organizations never meet. A sealer chaining records after commit
would avoid even that, but would leave a backlog that verify cannot judge, and a window in which
a committed change has no chained record. Two concurrent appenders cannot fork the chain: the
second one's UPDATE waits for the first's COMMIT and then reads the head it wrote. Several
organizations in one transaction lock their heads in id order, so two such transactions cannot
deadlock. On SQLite a writing transaction already holds the database's single write lock.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.canonical import record_hash, redact
from tessera.audit.context import acting_as, current_origin
from tessera.audit.models import AuditChain, AuditRecord
from tessera.db.base import utcnow
from tessera.db.engine import EMITTED, Database
from tessera.db.insert_ignoring import insert_ignoring
from tessera.events.outbox import EmittedEvent

# session.info key: explicit records (`record`) waiting for the end of the transaction.
PENDING = "audit_pending"

# Events that follow from another action, which has its own record: recording them again would
# only repeat it (a mention is part of the comment or description that made it, a notification
# part of the change that caused it; a disabled webhook is recorded by the delivery worker's event).
DERIVED_EVENTS = frozenset({"notification_added", "user_mentioned"})

_CHAINS = AuditChain.__table__
_RECORDS = AuditRecord.__table__
_MOVE_HEAD = (update(_CHAINS).where(_CHAINS.c.organization_id == bindparam("org"))
              .values(sequence=_CHAINS.c.sequence + bindparam("count"))
              .returning(_CHAINS.c.sequence, _CHAINS.c.hash))
_SET_HEAD_HASH = update(_CHAINS).where(_CHAINS.c.organization_id == bindparam("org")).values(
    hash=bindparam("head_hash"))
_INSERT = insert(_RECORDS)


@dataclass(slots=True)
class Entry:
    """A record before it is chained (sequence and hashes come at the append)."""

    organization_id: int
    action: str
    object_type: str | None = None
    object_id: int | None = None
    object_key: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    actor_user_id: int | None = None
    actor_token_id: int | None = None


def record(session: AsyncSession, *, organization_id: int, action: str, object_type: str | None = None,
           object_id: int | None = None, object_key: str | None = None, changes: dict[str, Any] | None = None,
           actor_user_id: int | None = None, actor_token_id: int | None = None) -> None:
    """Records an action that emits no domain event, in the caller's (writing) transaction.
    The actor defaults to the unit of work's (tessera.audit.context.act_as); `changes` is
    redacted here, so a caller may pass a whole row's fields."""
    session.info.setdefault(PENDING, []).append(Entry(
        organization_id=organization_id, action=action, object_type=object_type, object_id=object_id,
        object_key=object_key, changes=json_safe(redact(changes or {})), actor_user_id=actor_user_id,
        actor_token_id=actor_token_id))


def json_safe(value: Any) -> Any:
    """As JSON would store it (times and other values as text)."""
    return json.loads(json.dumps(value, default=str))


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """{field: {"from": before, "to": after}} for the fields of `after` whose value differs."""
    return {name: {"from": before.get(name), "to": value} for name, value in after.items()
            if before.get(name) != value}


def action_of(event_type: str, aggregate_type: str) -> str:
    """`issue_updated` of an issue is `issue.updated`; `status_changed` of an issue is
    `issue.status_changed`."""
    prefix = aggregate_type + "_"
    return f"{aggregate_type}.{event_type.removeprefix(prefix)}"


def _from_event(event: EmittedEvent) -> Entry:
    payload = event.payload
    key = payload.get("issue_key") or payload.get("key")
    return Entry(organization_id=event.organization_id, action=action_of(event.event_type, event.aggregate_type),
                 object_type=event.aggregate_type, object_id=event.aggregate_id,
                 object_key=key if isinstance(key, str) else None, changes=redact(payload),
                 actor_user_id=event.actor_id)


def pending_entries(session: AsyncSession) -> list[Entry]:
    entries = [_from_event(event) for event in session.info.get(EMITTED, ())
               if event.event_type not in DERIVED_EVENTS]
    entries.extend(session.info.pop(PENDING, ()))
    return entries


async def append_pending(session: AsyncSession) -> None:
    """The unit of work's last step before COMMIT (registered with Database.before_commit):
    chain and insert the transaction's records."""
    entries = pending_entries(session)
    if not entries:
        return
    by_org: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_org[entry.organization_id].append(entry)
    actor = acting_as(session)
    origin = current_origin()
    connection = await session.connection()
    for organization_id in sorted(by_org):
        batch = by_org[organization_id]
        last_sequence, previous_hash = await _move_head(session, organization_id, len(batch))
        sequence = last_sequence - len(batch)
        at = utcnow()  # after the lock: times follow sequences
        rows = []
        for entry in batch:
            sequence += 1
            user_id = entry.actor_user_id if entry.actor_user_id is not None else (actor and actor.user_id)
            token_id = entry.actor_token_id
            if token_id is None and actor is not None and actor.user_id == user_id:
                token_id = actor.token_id
            row = dict(organization_id=organization_id, sequence=sequence, at=at, actor_user_id=user_id,
                       actor_token_id=token_id, ip=origin.ip, user_agent=origin.user_agent,
                       request_id=origin.request_id, action=entry.action, object_type=entry.object_type,
                       object_id=entry.object_id, object_key=entry.object_key, changes=entry.changes)
            row["previous_hash"] = previous_hash
            row["hash"] = previous_hash = record_hash(row, previous_hash)
            rows.append(row)
        # One statement either way: a list of parameter sets would take the driver's slower
        # executemany path, so several rows go as one multi-row VALUES.
        await connection.execute(_INSERT, rows[0]) if len(rows) == 1 else await connection.execute(
            insert(_RECORDS).values(rows))
        await connection.execute(_SET_HEAD_HASH, {"org": organization_id, "head_hash": previous_hash})


async def _move_head(session: AsyncSession, organization_id: int, count: int) -> tuple[int, str]:
    """Locks the organization's head and advances it by `count`: (its new last sequence, the
    hash of the record before the first new one). Creates the head on the organization's first
    record (a concurrent creator's row wins; the UPDATE then waits for it)."""
    connection = await session.connection()
    parameters = {"org": organization_id, "count": count}
    moved = (await connection.execute(_MOVE_HEAD, parameters)).first()
    if moved is None:
        await connection.execute(insert_ignoring(connection.dialect.name, _CHAINS).values(
            organization_id=organization_id, sequence=0, hash="", checkpoint_sequence=0, checkpoint_hash=""))
        moved = (await connection.execute(_MOVE_HEAD, parameters)).one()
    return int(moved.sequence), str(moved.hash)


def install_audit_log(database: Database) -> None:
    """Every writing unit of work of `database` appends its audit records before it commits."""
    database.before_commit(append_pending)
