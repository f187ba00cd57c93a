"""The rank an issue gets when it is created: a *tail rank*, so that every issue has a place in
the organization's one global order from the start and a move never has to rank others first.

A tail rank is "9|" + the creation time in microseconds since 1970 (16 digits) + the issue id
(19 digits) + "1" (ranks never end in "0"). Bucket "9" sorts after the buckets moves and
rebalances use (tessera.agile.lexorank), so a new issue sorts after every issue placed by hand
and after every issue created before it: the order is the one unranked issues used to have
(ranked first, then oldest first). Ids make it unique without a lock, so concurrent creates
need no coordination; a move between two tails bisects them like any two ranks.

The table belongs to tessera.agile (which owns ranking); issue creation writes the first row
through agile's table object (an explicit import-linter exception for tessera.agile.models)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tessera.agile.models import IssueRank

TAIL_BUCKET = "9"
MICROS_WIDTH = 16
ID_WIDTH = 19
TAIL_END = "1"
ISSUE_RANKS = IssueRank.__table__
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def tail_prefix(created_at: datetime) -> str:
    """The part of a tail rank before the issue id (what SQL completes with the new id)."""
    moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    micros = max(0, (moment - _EPOCH) // timedelta(microseconds=1))
    return f"{TAIL_BUCKET}|{micros:0{MICROS_WIDTH}d}"


def tail_rank(created_at: datetime, issue_id: int) -> str:
    return f"{tail_prefix(created_at)}{issue_id:0{ID_WIDTH}d}{TAIL_END}"
