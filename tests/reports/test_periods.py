"""The time windows of reports: periods back from now, and explicit `from`/`to` with their errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tessera.errors import InvalidInput
from tessera.reports.periods import parse_moment, period_start, report_window


def test_periods_and_windows() -> None:
    now = datetime(2026, 8, 31, 12, tzinfo=UTC)
    assert period_start("6months", now) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert period_start("2w", now) == datetime(2026, 8, 17, 12, tzinfo=UTC)
    assert period_start("1y", now) == datetime(2025, 8, 31, 12, tzinfo=UTC)
    assert period_start("30 days", now) == datetime(2026, 8, 1, 12, tzinfo=UTC)
    for bad in ("", "six months", "0d", "3 fortnights"):
        with pytest.raises(InvalidInput):
            period_start(bad, now)
    assert parse_moment("2026-03-31", field="to", end_of_day=True) == datetime(2026, 4, 1, tzinfo=UTC)
    assert parse_moment("2026-03-31T10:00:00+02:00", field="to", end_of_day=True) == \
        datetime(2026, 3, 31, 8, tzinfo=UTC)
    window = report_window(start="2026-03-01", end="2026-03-31", period=None, default_period="30d", now=now,
                           max_days=100)
    assert (window.start, window.end, window.days) == (datetime(2026, 3, 1, tzinfo=UTC),
                                                      datetime(2026, 4, 1, tzinfo=UTC), 31)
    for start, end, field in (("2026-04-01", "2026-03-01", "from"), ("1900-01-01", None, "from"),
                              ("2026-13-01", None, "from"), (None, "yesterday", "to"), ("2020-01-01", None, "from")):
        with pytest.raises(InvalidInput) as refused:
            report_window(start=start, end=end, period=None, default_period="30d", now=now, max_days=1000)
        assert refused.value.field == field, (start, end)
