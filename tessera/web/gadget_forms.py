"""A gadget's settings as an HTML form and back: which inputs each gadget type shows, the form
values of a stored configuration, and the configuration a posted form asks for. Only the shape
is read here (numbers, checkboxes, the issue source); the dashboard's layout checks judge the
values and name any bad one."""

from __future__ import annotations

from typing import Any

from tessera.db.refs import parse_int
from tessera.errors import InvalidInput
from tessera.reports.gadgets import DEFAULT_COLUMNS, GADGET_TYPES

# The inputs of each gadget type, in the order the form shows them. "source" is the issues a
# gadget counts: a JQL query or a saved filter.
SETTINGS: dict[str, tuple[str, ...]] = {
    "filter_results": ("source", "columns", "max_results"),
    "pie_chart": ("source", "field", "max_slices"),
    "two_dimensional": ("source", "x_field", "y_field", "max_rows", "max_columns"),
    "created_vs_resolved": ("source", "period", "interval", "cumulative"),
    "sprint_burndown": ("board_id", "sprint_id", "estimate"),
    "velocity": ("board_id", "period", "estimate", "forecast"),
    "activity_stream": ("source", "max_results"),
    "assigned_to_me": ("columns", "max_results"),
}
NUMBERS = frozenset({"board_id", "sprint_id", "max_results", "max_slices", "max_rows", "max_columns", "forecast"})
TEXTS = frozenset({"field", "x_field", "y_field", "period", "interval", "estimate"})
LABELS = {
    "source": "Issues", "columns": "Columns", "max_results": "Issues shown", "field": "Statistic",
    "max_slices": "Slices", "x_field": "Across (x)", "y_field": "Down (y)", "max_rows": "Rows",
    "max_columns": "Columns shown", "period": "Period", "interval": "Interval", "cumulative": "Cumulative",
    "board_id": "Board", "sprint_id": "Sprint id", "estimate": "Estimate", "forecast": "Sprints forecast",
}
STAT_FIELDS = ("status", "statusCategory", "priority", "issuetype", "resolution", "assignee", "reporter", "project",
               "labels", "component", "fixVersion")
ESTIMATES = ("story_points", "issue_count", "original_estimate", "remaining_estimate")
OPTIONAL_SOURCE = frozenset({"activity_stream"})


def gadget_type(kind: object) -> str:
    if not isinstance(kind, str) or kind not in GADGET_TYPES:
        raise InvalidInput(f"The gadget type is one of {', '.join(GADGET_TYPES)}.", field="type")
    return kind


def form_values(config: dict[str, Any]) -> dict[str, str]:
    """A stored configuration as the form's text values."""
    values: dict[str, str] = {}
    for key, value in config.items():
        if key == "columns" and isinstance(value, list):
            values[key] = ", ".join(map(str, value))
        elif isinstance(value, bool):
            values[key] = "on" if value else ""
        elif value is not None:
            values[key] = str(value)
    values["source"] = "filter" if "filter_id" in config else "jql"
    return values


def _number(form: dict[str, str], key: str) -> int | None:
    """None for an empty input (the type's default applies); the gadget checks the range."""
    text = form.get(key, "")
    if not text:
        return None
    number = parse_int(text)
    if number is None:
        raise InvalidInput(f"{LABELS[key]} is a whole number.", field=key)
    return number


def config_from_form(kind: str, form: dict[str, str]) -> dict[str, Any]:
    """The configuration a posted gadget form asks for; empty inputs take the type's defaults."""
    config: dict[str, Any] = {}
    for key in SETTINGS[kind]:
        if key == "source":
            if form.get("source") == "filter":
                found = _number(form, "filter_id")
                if found is None:
                    raise InvalidInput("Choose a saved filter, or give a JQL query.", field="filter_id")
                config["filter_id"] = found
            elif form.get("jql", "").strip() or kind not in OPTIONAL_SOURCE:
                config["jql"] = form.get("jql", "")
        elif key == "columns":
            names = [name.strip() for name in form.get("columns", "").replace("\n", ",").split(",") if name.strip()]
            if names and names != DEFAULT_COLUMNS:
                config["columns"] = names
        elif key == "cumulative":
            config["cumulative"] = form.get("cumulative") == "on"
        elif key in NUMBERS:
            number = _number(form, key)
            if number is not None:
                config[key] = number
        elif key in TEXTS and form.get(key, "").strip():
            config[key] = form[key].strip()
    return config


def form_field(error_field: str | None) -> str | None:
    """The form input a layout error names (`layout.gadgets[3].config.jql` → `jql`)."""
    if not error_field:
        return None
    return error_field.rsplit(".", 1)[-1].split("[", 1)[0]
