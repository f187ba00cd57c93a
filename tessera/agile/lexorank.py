"""LexoRank-style ranks: strings whose byte order is the issue order, so moving an issue between
two others writes one row and never renumbers the rest.

A rank is "<bucket>|<digits>": the bucket is "0", "1" or "2" and the digits a base-36 fraction
(0-9a-z after an implied radix point) without trailing zeros, e.g. "0|i" (= 18/36). Without
trailing zeros, byte order and numeric order agree, and between any two fractions there is
always another: `rank_between` finds one (the midpoint algorithm of Greenspan's fractional
indexing), one digit longer at worst.

Repeated inserts at one place (always at the top, or always right after one issue) halve the
same gap each time, adding a digit every 5 to 6 inserts (log2(36) ~ 5.2): a rank passes
REBALANCE_LENGTH only after 320 such inserts in a row (at the bottom; ~380 at the top). The
caller then rebalances: every rank of the organization is rewritten, evenly spread, into the
next bucket (0 → 1 → 2 → 0), with the order unchanged. Moving to another bucket means no new
rank can collide with an old one while the rewrite is under way (ranks are unique per
organization).

New issues get a tail rank in bucket "9" (tessera.issues.ranks), after every other bucket:
moves between a rank of the current bucket and a tail rank stay in the current bucket (right
after the earlier neighbour), moves between two tails bisect them, and a rebalance moves tails
into the next bucket like every other rank."""

from __future__ import annotations

from tessera.issues.ranks import TAIL_BUCKET

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
BUCKETS = ("0", "1", "2")
# Digits after the bucket beyond which a rank asks for a rebalance.
REBALANCE_LENGTH = 64
_VALUE = {digit: value for value, digit in enumerate(DIGITS)}


class RankError(ValueError):
    """A string that is not a rank, or neighbours that are not in order."""


def parse(rank: str) -> tuple[str, str]:
    """(bucket, digits) of a well-formed rank."""
    bucket, separator, digits = rank.partition("|")
    if separator != "|" or (bucket not in BUCKETS and bucket != TAIL_BUCKET) or not digits or digits.endswith("0") or \
            any(digit not in _VALUE for digit in digits):
        raise RankError(f"Not a rank: {rank[:300]!r}")
    return bucket, digits


def _midpoint(low: str, high: str | None) -> str:
    """Digits strictly between the fractions `low` ("" is 0) and `high` (None is 1); neither ends
    in "0" and low < high."""
    if high is not None:
        shared = 0
        while shared < len(high) and (low[shared] if shared < len(low) else "0") == high[shared]:
            shared += 1
        if shared:
            return high[:shared] + _midpoint(low[shared:], high[shared:])
    low_digit = _VALUE[low[0]] if low else 0
    high_digit = _VALUE[high[0]] if high is not None else BASE
    if high_digit - low_digit > 1:
        return DIGITS[(low_digit + high_digit + 1) // 2]
    # Adjacent leading digits: `high`'s first digit alone is between when `high` goes on;
    # otherwise keep `low`'s first digit and look further down.
    if high is not None and len(high) > 1:
        return high[:1]
    return DIGITS[low_digit] + _midpoint(low[1:], None)


def rank_between(before: str | None, after: str | None, *, bucket: str = "0") -> str:
    """A rank strictly after `before` and strictly before `after` (None: open end). Both
    neighbours must be in one bucket, unless `after` is a tail rank (then the rank follows
    `before` in its bucket); with neither, or only a tail after, the rank is in `bucket`."""
    if after is not None and parse(after)[0] == TAIL_BUCKET and (before is None or parse(before)[0] != TAIL_BUCKET):
        after = None  # every rank of a normal bucket sorts before every tail rank
    if before is None and after is None:
        return f"{bucket}|{_midpoint('', None)}"
    low_bucket, low = parse(before) if before is not None else (None, "")
    high_bucket, high = parse(after) if after is not None else (None, None)
    if low_bucket and high_bucket and low_bucket != high_bucket:
        raise RankError(f"Neighbours in different buckets: {before!r}, {after!r}")
    if high is not None and low >= high:
        raise RankError(f"Neighbours out of order: {before!r} is not before {after!r}")
    return f"{low_bucket or high_bucket}|{_midpoint(low, high)}"


def needs_rebalance(rank: str) -> bool:
    return len(rank) - 2 > REBALANCE_LENGTH


def next_bucket(bucket: str) -> str:
    """Where a rebalance writes: the bucket after the current one (from tails alone, the first)."""
    if bucket == TAIL_BUCKET:
        return BUCKETS[0]
    return BUCKETS[(BUCKETS.index(bucket) + 1) % len(BUCKETS)]


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, BASE)
        digits.append(DIGITS[digit])
    return "".join(reversed(digits))


def spread_layout(count: int) -> tuple[int, int]:
    """(width, step) of `spread`: the rank of the n-th of `count` (from 1) is the base-36 number
    n * step written with `width` digits, trailing zeros dropped. Databases compute the same."""
    width = 1
    while BASE ** width < (count + 1) * BASE:
        width += 1
    return width, BASE ** width // (count + 1)


def spread(count: int, *, bucket: str) -> list[str]:
    """`count` increasing ranks spread evenly over the bucket, with at least 35 free slots of
    their own width between neighbours (what a rebalance writes)."""
    width, step = spread_layout(count)
    return [f"{bucket}|{_base36(step * index, width).rstrip('0')}" for index in range(1, count + 1)]


def spread_between(before: str | None, after: str | None, count: int) -> list[str]:
    """`count` increasing ranks between two neighbours, by repeated bisection: their length
    grows with log(count), not with count as appending one after another would."""
    if count <= 0:
        return []
    middle = rank_between(before, after)
    left = (count - 1) // 2
    return [*spread_between(before, middle, left), middle, *spread_between(middle, after, count - 1 - left)]
