"""Plain statistics for reports: percentiles, mean and spread, Student's t prediction bands.

Percentiles interpolate linearly between the two nearest ranks (numpy's default, Excel's
PERCENTILE.INC): p(q) = x[i] + (x[i+1] - x[i]) * f where i + f = q * (n - 1), x sorted."""

from __future__ import annotations

import math
from collections.abc import Sequence

# Two-sided Student's t quantiles t(1 - (1 - confidence)/2, df), df = 1..30, then 40, 60, 120, infinity.
_T_TABLE: dict[float, tuple[float, ...]] = {
    0.80: (3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397, 1.383, 1.372, 1.363, 1.356, 1.350, 1.345,
           1.341, 1.337, 1.333, 1.330, 1.328, 1.325, 1.323, 1.321, 1.319, 1.318, 1.316, 1.315, 1.314, 1.313,
           1.311, 1.310),
    0.90: (6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761,
           1.753, 1.746, 1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701,
           1.699, 1.697),
    0.95: (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
           2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
           2.045, 2.042),
    0.99: (63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012, 2.977,
           2.947, 2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763,
           2.756, 2.750),
}
_T_TAIL: dict[float, tuple[tuple[int, float], ...]] = {
    0.80: ((40, 1.303), (60, 1.296), (120, 1.289)), 0.90: ((40, 1.684), (60, 1.671), (120, 1.658)),
    0.95: ((40, 2.021), (60, 2.000), (120, 1.980)), 0.99: ((40, 2.704), (60, 2.660), (120, 2.617)),
}
_Z = {0.80: 1.282, 0.90: 1.645, 0.95: 1.960, 0.99: 2.576}
CONFIDENCE_LEVELS = tuple(sorted(_T_TABLE))


def t_quantile(confidence: float, df: int) -> float:
    """Two-sided critical value; between tabulated degrees of freedom the next lower one (wider band)."""
    if df < 1:
        raise ValueError("degrees of freedom start at 1")
    if df <= 30:
        return _T_TABLE[confidence][df - 1]
    value = _T_TABLE[confidence][29]
    for bound, quantile in _T_TAIL[confidence]:
        if df >= bound:
            value = quantile
    return value if df < 1000 else _Z[confidence]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def sample_stdev(values: Sequence[float]) -> float | None:
    """With n - 1 in the denominator; None below two values."""
    if len(values) < 2:
        return None
    average = sum(values) / len(values)
    return math.sqrt(sum((v - average) ** 2 for v in values) / (len(values) - 1))


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """`ordered` sorted ascending; q in [0, 1]."""
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float], *, digits: int = 4) -> dict[str, float | int | None]:
    """count, mean, median, p75, p85, p95, min, max of `values` (any order)."""
    ordered = sorted(values)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    return {"count": len(ordered), "mean": rounded(mean(ordered)), "median": rounded(percentile(ordered, 0.5)),
            "p75": rounded(percentile(ordered, 0.75)), "p85": rounded(percentile(ordered, 0.85)),
            "p95": rounded(percentile(ordered, 0.95)),
            "min": rounded(ordered[0]) if ordered else None, "max": rounded(ordered[-1]) if ordered else None}
