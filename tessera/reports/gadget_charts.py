"""A gadget's chart, drawn from the data `gadget_data.compute` returned for it (the dashboard
page draws what the `/data` endpoint answers, so the two never disagree). Every piece of text
goes through tessera/reports/svg.py, which escapes it."""

from __future__ import annotations

from typing import Any

from tessera.reports import charts

BURNDOWN_SERIES = ("ideal", "actual", "remaining")


def gadget_chart(gadget: dict[str, Any]) -> str | None:
    """The SVG for a gadget with data whose type has a chart; None for the others (tables,
    lists) and for a gadget that errored or has nothing to draw yet."""
    data, title = gadget.get("data"), str(gadget.get("title") or "")
    if not isinstance(data, dict):
        return None
    kind = gadget.get("type")
    if kind == "created_vs_resolved":
        return charts.created_resolved_chart(title, data["periods"], bool(data["cumulative"]))
    if kind == "velocity":
        return charts.velocity_chart(title, data["sprints"], data["forecast"]["sprints"])
    if kind == "sprint_burndown" and data.get("sprint") is not None:
        return charts.time_series_chart(title, [(label, data[label], label != "ideal" and label != "actual")
                                                for label in BURNDOWN_SERIES])
    if kind == "pie_chart":
        return charts.pie_chart(title, [(piece["label"], piece["count"]) for piece in data["slices"]])
    return None
