"""A computed report: its JSON body, the one table its CSV holds (built from that body), and
its chart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FORMATS = ("json", "csv", "svg")


@dataclass(frozen=True)
class Report:
    name: str  # file stem: "burndown", "velocity", ...
    data: dict[str, Any]
    columns: list[str]
    rows: list[list[Any]]
    chart: Callable[[], str]


def rounded(value: float | None, digits: int = 4) -> float | None:
    """Sums of estimates without float noise (0.1 + 0.2); integral values stay floats."""
    return None if value is None else round(value + 0.0, digits)
