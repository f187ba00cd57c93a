"""The dashboard's `timeframe` argument: durations in the units people write, JQL's form too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tessera.api.graphql.timeframe import parse_timeframe
from tessera.errors import InvalidInput

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "span"), [
    ("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("-2w", timedelta(weeks=2)),
    ("6months", timedelta(days=180)), ("1 month", timedelta(days=30)), ("1y", timedelta(days=365)),
    ("90 days", timedelta(days=90)), ("30m", timedelta(minutes=30)), ("2 Weeks", timedelta(weeks=2))])
def test_durations(text: str, span: timedelta) -> None:
    timeframe = parse_timeframe(text, now=NOW)
    assert timeframe.span == span and timeframe.since == NOW - span
    assert timeframe.jql_bound == f"-{int(span.total_seconds() // 60)}m"


@pytest.mark.parametrize("text", [None, "", "all", " ALL "])
def test_no_bound(text: str | None) -> None:
    timeframe = parse_timeframe(text, now=NOW)
    assert timeframe.since is None and timeframe.jql_bound is None


@pytest.mark.parametrize("text", ["0d", "7", "d", "3 fortnights", "last tuesday", "1e9d", "-", "9" * 40])
def test_refusals_name_the_argument_and_show_examples(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_timeframe(text, now=NOW)
    assert refused.value.field == "timeframe" and "7d" in refused.value.message
