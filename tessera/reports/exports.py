"""Reports as CSV: the report's table, cell for cell as in its JSON.

Numbers are written as JSON writes them (3.0 stays 3.0), empty values as empty cells, booleans
as true/false. Text that a spreadsheet would run as a formula (starting with = + - @ or a tab
or carriage return) gets a leading apostrophe, the usual defence against CSV injection: a
sprint or status name comes from users."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tessera.reports.report import Report

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(column) for column in report.columns])
    writer.writerows([[cell(value) for value in row] for row in report.rows])
    return buffer.getvalue()
