"""Erasing a person's data from audit records while the chain stays verifiable.

A record's hash covers its fields, personal ones included (the actor's address and browser, an
email in `object_key` or in `changes`), so rewriting them would make `verify` call the record
edited. Rewriting every later hash instead would erase the very evidence the chain exists for.
The choice here is a chained redaction record:
- a redacted record keeps its sequence, its previous hash and its stored `hash`, so the record
  after it still chains to it and nothing later is rewritten; only its personal fields change;
- an `audit.redacted` record, appended to the chain in the same transaction, lists for each
  redacted sequence the hash its fields give now (`record_hash` of the rewritten fields over the
  same previous hash);
- `verify` (tessera.audit.verify) checks a redacted record against the newest redaction that
  lists it, in place of its stored hash. Editing a redacted record later still fails (its fields
  no longer give the listed hash), and the list is itself a chained record.
What stays: pseudonymous ids (actor_user_id, object_id), actions, times, and everything that was
not the person's. What goes: the address and browser of the person's own actions (and of
sign-ins to their account), and their email and name wherever `object_key` or `changes` holds
them (rewritten by the caller's `scrub`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.canonical import HASHED_FIELDS, record_hash
from tessera.audit.chain import record
from tessera.audit.models import AuditRecord
from tessera.db.contains import mentions_any

REDACTED_ACTION = "audit.redacted"


def _about(user_id: int) -> Any:
    """Records of the person's own actions, and sign-in records of their account."""
    return or_(AuditRecord.actor_user_id == user_id,
               and_(AuditRecord.object_type == "user", AuditRecord.object_id == user_id,
                    AuditRecord.action.like("auth.%")))


async def redact_person(session: AsyncSession, *, organization_id: int, user_id: int, terms: Sequence[str],
                        scrub: Callable[[Any], Any], scrub_identifier: Callable[[Any], Any]) -> int:
    """Rewrites the organization's records that hold the user's personal data and, when any
    changed, records the redaction (appended at commit, after them). `terms`: the texts to
    look for (email, name); `scrub` rewrites a value (a string or JSON) without them,
    `scrub_identifier` the object key (an issue key must stay the issue's). Returns how many
    records were rewritten."""
    own = _about(user_id)
    rows = (await session.scalars(
        select(AuditRecord).where(
            AuditRecord.organization_id == organization_id, AuditRecord.action != REDACTED_ACTION,
            or_(and_(own, or_(AuditRecord.ip.is_not(None), AuditRecord.user_agent.is_not(None))),
                mentions_any(AuditRecord.object_key, terms), mentions_any(AuditRecord.changes, terms, in_json=True)))
        .order_by(AuditRecord.sequence))).all()
    redacted: dict[str, str] = {}
    for row in rows:
        is_own = row.actor_user_id == user_id or (
            row.object_type == "user" and row.object_id == user_id and row.action.startswith("auth."))
        after = {"ip": None if is_own else row.ip, "user_agent": None if is_own else row.user_agent,
                 "object_key": scrub_identifier(row.object_key), "changes": scrub(row.changes)}
        if all(after[name] == getattr(row, name) for name in after):
            continue
        for name, value in after.items():
            setattr(row, name, value)
        redacted[str(row.sequence)] = record_hash({name: getattr(row, name) for name in HASHED_FIELDS},
                                                  row.previous_hash)
    if redacted:
        await session.flush()
        record(session, organization_id=organization_id, action=REDACTED_ACTION, object_type="user",
               object_id=user_id, changes={"records": redacted})
    return len(redacted)


def redactions_of(rows: Sequence[AuditRecord]) -> dict[int, str]:
    """{sequence: the hash its redacted fields give}, the newest redaction of each sequence
    winning (rows in sequence order)."""
    listed: dict[int, str] = {}
    for row in rows:
        if row.action == REDACTED_ACTION and isinstance(row.changes, dict):
            for sequence, digest in (row.changes.get("records") or {}).items():
                if str(sequence).isdigit() and int(sequence) < row.sequence:
                    listed[int(sequence)] = str(digest)
    return listed
