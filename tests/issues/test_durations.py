"""Jira durations (a day is 8 hours, a week 5 days) for worklogs and estimates; the worklog API is
exercised through /rest in tests/api/jira."""

from __future__ import annotations

import pytest

from tessera.errors import InvalidInput
from tessera.issues.durations import format_duration, parse_duration, parse_estimate


@pytest.mark.parametrize(("text", "seconds"), [
    ("1h", 3600), ("90m", 5400), ("1h 30m", 5400), ("1.5h", 5400), ("1d", 8 * 3600), ("1w", 40 * 3600),
    ("1w 2d 3h 4m", (40 + 16 + 3) * 3600 + 240), (" 2H ", 7200), ("1d1h", 9 * 3600)])
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "an hour", "1h and 5m", "0m", "30s", None, 5, "9" * 20 + "w"])
def test_parse_duration_refuses(text: object) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    assert format_duration(5400) == "1h 30m"
    assert format_duration((40 + 16 + 3) * 3600 + 240) == "1w 2d 3h 4m"
    for seconds in (60, 3600, 8 * 3600, 123 * 60):
        assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(("value", "seconds"), [
    (0, 0), (3600, 3600), (90.4, 90), ("0m", 0), ("3d 4h", 28 * 3600), ("1w", 40 * 3600), (None, None), ("", None)])
def test_parse_estimate(value: object, seconds: int | None) -> None:
    assert parse_estimate(value, field="original_estimate") == seconds


def test_parse_estimate_reads_a_bare_number_in_the_unit_given() -> None:
    assert parse_estimate("30", field="originalEstimate", bare_unit="m") == 1800
    with pytest.raises(InvalidInput):
        parse_estimate("30", field="original_estimate")


@pytest.mark.parametrize("value", [-1, "-1h", True, [], {}, float("nan"), float("inf"), 1e300, "9" * 400 + "w",
                                   "1x", "٣h"])
def test_parse_estimate_refuses(value: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_estimate(value, field="remaining_estimate")
    assert raised.value.field == "remaining_estimate"
