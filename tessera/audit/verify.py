"""Checking an organization's chain: every record's hash recomputed from its fields and the
previous record's hash, from the retention checkpoint (or the start) to the head.

A break is named by the first bad sequence and what it looks like:
- `edited`: a record's fields no longer give its hash, or its hash is no longer the one the next
  record chained to (the record was edited and its hash recomputed);
- `deleted`: a sequence is missing, or records after the last one are (the head says more);
- `reordered`: a record is intact but sits at another place than the one it was written at (its
  previous hash is another record's, or its fields give its hash under another sequence).

A record redacted by a GDPR erasure (tessera.audit.redaction) is checked against the hash that
the later `audit.redacted` record lists for it, and still links the chain by its stored hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.canonical import HASHED_FIELDS, record_hash
from tessera.audit.models import AuditChain, AuditRecord
from tessera.audit.redaction import redactions_of

# How many places `_written_sequence` tries before calling a record edited, not moved.
_MOST_CANDIDATES = 1_000_000


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    checked: int
    first_sequence: int
    last_sequence: int
    bad_sequence: int | None = None
    problem: str | None = None  # edited | deleted | reordered
    detail: str = ""

    def describe(self) -> str:
        if self.ok:
            span = (f"sequences {self.first_sequence}..{self.last_sequence}" if self.checked
                    else "no records")
            return f"chain holds: {self.checked} records checked ({span})"
        return f"chain broken at sequence {self.bad_sequence}: {self.problem}: {self.detail}"


def _fields(row: AuditRecord) -> dict:
    return {name: getattr(row, name) for name in HASHED_FIELDS}


def _written_sequence(fields: dict, previous_hash: str, stored_hash: str, first: int, last: int) -> int | None:
    """The sequence under which these fields give the stored hash, if any: an intact record put
    at another place. Run once, on the first bad record only (one hash per candidate)."""
    for sequence in range(first, min(last, first + _MOST_CANDIDATES) + 1):
        if sequence != fields["sequence"] and record_hash({**fields, "sequence": sequence}, previous_hash) == stored_hash:
            return sequence
    return None


async def verify_chain(session: AsyncSession, organization_id: int) -> Verdict:
    chain = await session.get(AuditChain, organization_id)
    start_sequence = chain.checkpoint_sequence if chain else 0
    start_hash = chain.checkpoint_hash if chain else ""
    head_sequence = chain.sequence if chain else 0
    head_hash = chain.hash if chain else ""
    rows = (await session.scalars(
        select(AuditRecord).where(AuditRecord.organization_id == organization_id)
        .order_by(AuditRecord.sequence))).all()
    # Which record a hash belongs to: tells a record that was moved from one that was changed.
    sequence_of_hash = {row.hash: row.sequence for row in rows}
    redacted = redactions_of(rows)
    expected_sequence, expected_previous = start_sequence + 1, start_hash

    def broken(sequence: int, problem: str, detail: str) -> Verdict:
        return Verdict(False, sequence - start_sequence - 1, start_sequence + 1, head_sequence, sequence, problem,
                       detail)

    for row in rows:
        if row.sequence < expected_sequence:
            return broken(row.sequence, "edited", "a record older than the retention checkpoint is still present "
                                                  "or a sequence repeats")
        if row.sequence > expected_sequence:
            return broken(expected_sequence, "deleted",
                          f"sequence {expected_sequence} is missing (the next record is {row.sequence})")
        fields = _fields(row)
        if row.sequence in redacted:
            if record_hash(fields, row.previous_hash) != redacted[row.sequence]:
                return broken(row.sequence, "edited", "its fields no longer give the hash its redaction recorded")
        elif record_hash(fields, row.previous_hash) != row.hash:
            written_as = _written_sequence(fields, row.previous_hash, row.hash, start_sequence + 1, head_sequence)
            if written_as is not None:
                return broken(row.sequence, "reordered",
                              f"the record stored as sequence {row.sequence} was written as {written_as}")
            return broken(row.sequence, "edited", "its fields no longer give its hash")
        if row.previous_hash != expected_previous:
            written_after = sequence_of_hash.get(row.previous_hash)
            if written_after is not None:
                return broken(row.sequence, "reordered",
                              f"it was written after sequence {written_after}, not after {row.sequence - 1}")
            return broken(row.sequence - 1, "edited",
                          f"its hash is not the one sequence {row.sequence} chained to")
        expected_sequence, expected_previous = row.sequence + 1, row.hash
    if expected_sequence - 1 < head_sequence:
        return broken(expected_sequence, "deleted",
                      f"records {expected_sequence}..{head_sequence} are missing (the chain's head is {head_sequence})")
    if expected_previous != head_hash:
        return broken(head_sequence, "edited", "the last record's hash is not the chain head's")
    return Verdict(True, head_sequence - start_sequence, start_sequence + 1, head_sequence)
