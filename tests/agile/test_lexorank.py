"""Rank strings: between any two there is another, byte order is numeric order, and under any
sequence of moves (with the rebalance policy the database side follows) the order stays strict
and the lengths bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.agile.lexorank import (
    BUCKETS,
    DIGITS,
    REBALANCE_LENGTH,
    RankError,
    needs_rebalance,
    next_bucket,
    parse,
    rank_between,
    spread,
    spread_between,
)
from tessera.issues.ranks import TAIL_BUCKET, tail_rank

digit_strings = st.text(alphabet=DIGITS, min_size=1, max_size=12).filter(lambda s: not s.endswith("0"))
ranks = st.builds(lambda bucket, digits: f"{bucket}|{digits}", st.sampled_from(BUCKETS), digit_strings)


def value(rank: str) -> Fraction:
    _, digits = parse(rank)
    return sum((Fraction(DIGITS.index(d), 36 ** (i + 1)) for i, d in enumerate(digits)), Fraction(0))


@given(st.lists(digit_strings, min_size=2, max_size=2, unique=True))
def test_byte_order_is_numeric_order(pair: list[str]) -> None:
    a, b = (f"0|{digits}" for digits in pair)
    assert (a < b) == (value(a) < value(b))


@given(st.lists(digit_strings, min_size=2, max_size=2, unique=True), st.sampled_from(BUCKETS))
def test_between_two_ranks_there_is_always_another(pair: list[str], bucket: str) -> None:
    low, high = sorted(f"{bucket}|{digits}" for digits in pair)
    middle = rank_between(low, high)
    assert low < middle < high and parse(middle)[0] == bucket
    assert len(parse(middle)[1]) <= max(len(parse(low)[1]), len(parse(high)[1])) + 1
    assert rank_between(None, low) < low and high < rank_between(high, None)


tail_ranks = st.builds(tail_rank, st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2200, 1, 1),
                                              timezones=st.just(UTC)), st.integers(1, 2**63 - 1))


@given(st.lists(tail_ranks, min_size=2, max_size=2, unique=True), ranks)
def test_tail_ranks_sort_after_every_bucket_and_leave_room(pair: list[str], other: str) -> None:
    low, high = sorted(pair)
    assert parse(low)[0] == TAIL_BUCKET and other < low
    assert low < rank_between(low, high) < high
    # Before a tail, a rank stays in its neighbour's bucket (or the first one, with none before).
    assert other < rank_between(other, low) < low and parse(rank_between(other, low))[0] == parse(other)[0]
    assert rank_between(None, low) == "0|i" and next_bucket(TAIL_BUCKET) == BUCKETS[0]


def test_tail_ranks_follow_creation_order() -> None:
    moment = datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert tail_rank(moment, 99) < tail_rank(moment, 100) < tail_rank(moment + timedelta(microseconds=1), 1)
    assert tail_rank(moment, 10) == f"9|{int(moment.timestamp()) * 10**6:016d}{10:019d}1"


def test_malformed_ranks_and_neighbours_are_refused() -> None:
    for bad in ("", "0", "0|", "3|a", "0|a0", "0|A", "x|a", "0|a-b"):
        with pytest.raises(RankError):
            parse(bad)
    with pytest.raises(RankError):
        rank_between("0|b", "0|a")
    with pytest.raises(RankError):
        rank_between("0|a", "0|a")
    with pytest.raises(RankError):
        rank_between("0|a", "1|b")
    assert rank_between(None, None) == "0|i" and rank_between(None, None, bucket="2") == "2|i"


class RankedList:
    """What tessera.agile.ranking does with the database, on a list: each move writes one new
    rank between the new neighbours; a rank past REBALANCE_LENGTH spreads every rank into the
    next bucket first."""

    def __init__(self, size: int) -> None:
        self.items: list[tuple[str, int]] = list(zip(spread(size, bucket="0"), range(size), strict=True))
        self.rebalances = 0

    def move(self, item_index: int, to: int) -> None:
        rank_and_item = self.items.pop(item_index)
        to = min(to, len(self.items))
        new = self._between(to)
        if needs_rebalance(new):
            bucket = next_bucket(parse(self.items[0][0])[0]) if self.items else "0"
            self.items = [(r, item) for r, (_, item) in zip(spread(len(self.items), bucket=bucket), self.items,
                                                            strict=True)]
            self.rebalances += 1
            new = self._between(to)
        self.items.insert(to, (new, rank_and_item[1]))

    def _between(self, to: int) -> str:
        before = self.items[to - 1][0] if to > 0 else None
        after = self.items[to][0] if to < len(self.items) else None
        bucket = parse(self.items[0][0])[0] if self.items else "0"
        return rank_between(before, after, bucket=bucket)


@settings(max_examples=150)
@given(st.integers(min_value=1, max_value=30), st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)),
                                                         max_size=200))
def test_any_sequence_of_moves_keeps_a_strict_order_and_bounded_lengths(size: int, moves: list) -> None:
    ranked = RankedList(size)
    model = list(range(size))
    for item_index, to in moves:
        item_index %= size
        ranked.move(item_index, to)
        model.insert(min(to, size - 1), model.pop(item_index))
        keys = [rank for rank, _ in ranked.items]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        assert all(len(parse(key)[1]) <= REBALANCE_LENGTH for key in keys)
        assert len({parse(key)[0] for key in keys}) == 1
    assert [item for _, item in ranked.items] == model


@pytest.mark.parametrize("place", ["top", "bottom", "after_first"])
def test_repeated_inserts_at_one_place_grow_slowly_then_rebalance(place: str) -> None:
    """The documented limit: 320 or more inserts in a row at one place before a rebalance."""
    ranked = RankedList(10)
    target = {"top": 0, "bottom": 10**6, "after_first": 1}[place]
    inserts = 0
    while ranked.rebalances == 0:
        # A new item at the bottom, then moved to the same place as every one before it.
        ranked.items.append((rank_between(ranked.items[-1][0], None), 100 + inserts))
        ranked.move(len(ranked.items) - 1, target)
        inserts += 1
        assert inserts < 2000
    assert inserts >= 300, inserts
    assert max(len(parse(rank)[1]) for rank, _ in ranked.items) <= 3  # freshly spread


@given(st.integers(min_value=0, max_value=5000), st.sampled_from(BUCKETS))
@settings(max_examples=40)
def test_spread_is_increasing_short_and_in_its_bucket(count: int, bucket: str) -> None:
    spread_out = spread(count, bucket=bucket)
    assert len(spread_out) == count and spread_out == sorted(set(spread_out))
    assert all(parse(rank)[0] == bucket for rank in spread_out)
    assert all(len(parse(rank)[1]) <= 4 for rank in spread_out)


@given(st.lists(ranks.filter(lambda r: r.startswith("0|")), min_size=2, max_size=2, unique=True),
       st.integers(min_value=0, max_value=300))
@settings(max_examples=60)
def test_spread_between_fits_many_ranks_in_any_gap(pair: list[str], count: int) -> None:
    low, high = sorted(pair)
    between = spread_between(low, high, count)
    assert len(between) == count and between == sorted(set(between))
    assert all(low < rank < high for rank in between)
    longest = max(len(parse(low)[1]), len(parse(high)[1]))
    assert all(len(parse(rank)[1]) <= longest + 10 for rank in between)
