"""The plain statistics the reports rest on: percentiles, spread, summaries, t quantiles."""

from __future__ import annotations

import pytest

from tessera.reports.stats import percentile, sample_stdev, summary, t_quantile


def test_percentiles_interpolate_between_ranks() -> None:
    values = [1.0, 2.0, 10.0]
    assert [percentile(values, q) for q in (0, 0.5, 0.75, 0.85, 1)] == [1.0, 2.0, 6.0, pytest.approx(7.6), 10.0]
    assert percentile([], 0.5) is None and percentile([4.0], 0.95) == 4.0
    assert sample_stdev([5.0, 3.0]) == pytest.approx(2 ** 0.5) and sample_stdev([1.0]) is None
    assert summary([]) == {"count": 0, "mean": None, "median": None, "p75": None, "p85": None, "p95": None,
                           "min": None, "max": None}


def test_t_quantiles() -> None:
    assert t_quantile(0.95, 1) == 12.706 and t_quantile(0.95, 30) == 2.042
    assert t_quantile(0.95, 45) == 2.021 and t_quantile(0.90, 500) == 1.658 and t_quantile(0.99, 5000) == 2.576
