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

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.projects.models import Project
from tessera.reports.report import Report
from tessera.tenancy.actor import Actor

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


def record_export(session: AsyncSession, *, actor: Actor, project: Project, report: Report, rows: int) -> None:
    """An export leaves the system with the organization's data: the audit log records it, in
    the (writing) transaction that read the report."""
    record(session, organization_id=actor.organization_id, action="report.exported", object_type="project",
           object_id=project.id, object_key=project.key,
           changes={"report": report.name, "format": "csv", "rows": rows}, actor_user_id=actor.user_id)
