"""The charts of the reports and gadgets, as SVG documents (see svg.py for the writer)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tessera.reports.svg import PALETTE, Canvas, Scale, date_label, empty_chart, nice_ticks, parse_time

Series = tuple[str, list[dict], bool]  # (label, [{"at", "value"}], drawn as steps)
CATEGORY_COLORS = {"todo": ("#8da9c4", "#6f8fb0", "#b6c9dc"), "in_progress": ("#e8b04b", "#d99a2b", "#f2cd85"),
                   "done": ("#62b37a", "#3f9a5b", "#92cfa3"), None: ("#b0b0b0", "#909090", "#cfcfcf")}


def _time_labels(canvas: Canvas, scale: Scale, low: float, high: float) -> None:
    count = 6
    canvas.x_labels([(scale(low + (high - low) * i / count), date_label(low + (high - low) * i / count))
                     for i in range(count + 1)] if high > low else [(scale(low), date_label(low))])


def time_series_chart(title: str, series: Sequence[Series]) -> str:
    drawn = [(label, [(parse_time(p["at"]), float(p["value"] or 0)) for p in points], step)
             for label, points, step in series if points]
    if not drawn:
        return empty_chart(title)
    canvas = Canvas(title)
    x0, y0, x1, y1 = canvas.plot
    times = [t for _, points, _ in drawn for t, _ in points]
    values = [v for _, points, _ in drawn for _, v in points]
    ticks = nice_ticks(0, max(values + [1.0]))
    xs, ys = Scale(min(times), max(times), x0, x1), Scale(0, ticks[-1], y1, y0)
    canvas.y_axis(ys, ticks)
    _time_labels(canvas, xs, min(times), max(times))
    for index, (label, points, step) in enumerate(drawn):
        color = PALETTE[index % len(PALETTE)]
        line: list[tuple[float, float]] = []
        for t, v in points:
            if step and line:
                line.append((xs(t), line[-1][1]))
            line.append((xs(t), ys(v)))
        canvas.polyline(line, color, dash=None if step else "6 4")
    canvas.legend([(label, PALETTE[i % len(PALETTE)]) for i, (label, _, _) in enumerate(drawn)])
    return canvas.render()


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, color: str = PALETTE[0]) -> str:
    if not bars:
        return empty_chart(title)
    canvas = Canvas(title, right=40)
    x0, y0, x1, y1 = canvas.plot
    ticks = nice_ticks(0, max([v for _, v in bars] + [1.0]))
    ys = Scale(0, ticks[-1], y1, y0)
    canvas.y_axis(ys, ticks)
    slot = (x1 - x0) / len(bars)
    for index, (label, value) in enumerate(bars):
        x = x0 + index * slot
        canvas.rect(x + slot * 0.15, ys(value), slot * 0.7, y1 - ys(value), color, label=f"{label}: {value}")
    canvas.x_labels([(x0 + (i + 0.5) * slot, label[:18]) for i, (label, _) in enumerate(bars)])
    return canvas.render()


def velocity_chart(title: str, sprints: Sequence[dict], forecast: Sequence[dict]) -> str:
    if not sprints:
        return empty_chart(title, "No completed sprint in this period.")
    canvas = Canvas(title)
    x0, y0, x1, y1 = canvas.plot
    highs = [s["committed"] for s in sprints] + [s["completed"] for s in sprints] + \
        [f["high"] or f["expected"] for f in forecast]
    ticks = nice_ticks(0, max(highs + [1.0]))
    ys = Scale(0, ticks[-1], y1, y0)
    canvas.y_axis(ys, ticks)
    slots = len(sprints) + len(forecast)
    slot = (x1 - x0) / slots
    labels = []
    for index, sprint in enumerate(sprints):
        x = x0 + index * slot
        for offset, key, color in ((0.1, "committed", "#9db4d8"), (0.5, "completed", PALETTE[2])):
            canvas.rect(x + slot * offset, ys(sprint[key]), slot * 0.4, y1 - ys(sprint[key]), color,
                        label=f"{sprint['name']}: {key} {sprint[key]}")
        labels.append((x + slot / 2, sprint["name"][:14]))
    for index, row in enumerate(forecast):
        x = x0 + (len(sprints) + index) * slot
        canvas.rect(x + slot * 0.3, ys(row["expected"]), slot * 0.4, y1 - ys(row["expected"]), PALETTE[2],
                    opacity=0.35, label=f"next {row['next']}: {row['expected']}")
        if row["low"] is not None and row["high"] is not None:
            middle = x + slot / 2
            canvas.line(middle, ys(row["low"]), middle, ys(row["high"]), "#333333", 1.5)
            canvas.line(middle - 6, ys(row["low"]), middle + 6, ys(row["low"]), "#333333", 1.5)
            canvas.line(middle - 6, ys(row["high"]), middle + 6, ys(row["high"]), "#333333", 1.5)
        labels.append((x + slot / 2, f"+{row['next']}"))
    canvas.x_labels(labels)
    canvas.legend([("Committed", "#9db4d8"), ("Completed", PALETTE[2]), ("Forecast", "#b9dcc4")])
    return canvas.render()


def percentile_chart(title: str, metrics: Sequence[dict]) -> str:
    """Median bars with a whisker to the 85th percentile, lead and cycle time per issue type."""
    rows = [m for m in metrics if m["count"]]
    if not rows:
        return empty_chart(title)
    canvas = Canvas(title)
    x0, y0, x1, y1 = canvas.plot
    ticks = nice_ticks(0, max([m["p85"] or 0 for m in rows] + [1.0]))
    ys = Scale(0, ticks[-1], y1, y0)
    canvas.y_axis(ys, ticks, "days")
    types = list(dict.fromkeys(m["issue_type"] for m in rows))
    slot = (x1 - x0) / len(types)
    for row in rows:
        index = types.index(row["issue_type"])
        offset = 0.1 if row["metric"] == "lead_time" else 0.5
        color = PALETTE[0] if row["metric"] == "lead_time" else PALETTE[1]
        x = x0 + index * slot + slot * offset
        canvas.rect(x, ys(row["median"]), slot * 0.4, y1 - ys(row["median"]), color,
                    label=f"{row['issue_type']} {row['metric']}: median {row['median']}, p85 {row['p85']}")
        canvas.line(x + slot * 0.2, ys(row["median"]), x + slot * 0.2, ys(row["p85"]), "#333333", 1.5)
    canvas.x_labels([(x0 + (i + 0.5) * slot, name[:16]) for i, name in enumerate(types)])
    canvas.legend([("Lead time (median, p85)", PALETTE[0]), ("Cycle time (median, p85)", PALETTE[1])])
    return canvas.render()


def control_chart(title: str, points: Sequence[dict]) -> str:
    if not points:
        return empty_chart(title)
    canvas = Canvas(title)
    x0, y0, x1, y1 = canvas.plot
    times = [parse_time(p["resolved_at"]) for p in points]
    tops = [p["days"] for p in points] + [(p["rolling_mean"] or 0) + (p["rolling_stdev"] or 0) for p in points]
    ticks = nice_ticks(0, max(tops + [1.0]))
    xs, ys = Scale(min(times), max(times), x0, x1), Scale(0, ticks[-1], y1, y0)
    canvas.y_axis(ys, ticks, "days")
    _time_labels(canvas, xs, min(times), max(times))
    upper = [(xs(t), ys((p["rolling_mean"] or 0) + (p["rolling_stdev"] or 0))) for t, p in zip(times, points, strict=True)]
    lower = [(xs(t), ys(max(0.0, (p["rolling_mean"] or 0) - (p["rolling_stdev"] or 0))))
             for t, p in zip(times, points, strict=True)]
    canvas.polygon(upper + lower[::-1], PALETTE[0], opacity=0.15)
    for t, point in zip(times, points, strict=True):
        canvas.circle(xs(t), ys(point["days"]), 3, PALETTE[1], label=f"{point['issue_key']}: {point['days']} days")
    canvas.polyline([(xs(t), ys(p["rolling_mean"] or 0)) for t, p in zip(times, points, strict=True)], PALETTE[0])
    canvas.legend([("Issue", PALETTE[1]), ("Rolling average", PALETTE[0]), ("± 1 standard deviation", "#c8d8f0")])
    return canvas.render()


def stacked_area_chart(title: str, dates: Sequence[str], statuses: Sequence[dict],
                       counts: Sequence[Sequence[int]]) -> str:
    if not dates or not statuses:
        return empty_chart(title)
    canvas = Canvas(title)
    x0, y0, x1, y1 = canvas.plot
    totals = [sum(day) for day in counts]
    ticks = nice_ticks(0, max(totals + [1]))
    xs = Scale(0, max(len(dates) - 1, 1), x0, x1)
    ys = Scale(0, ticks[-1], y1, y0)
    canvas.y_axis(ys, ticks, "issues")
    colors, used = [], {}
    for status in statuses:
        shades = CATEGORY_COLORS.get(status["category"], CATEGORY_COLORS[None])
        used[status["category"]] = used.get(status["category"], -1) + 1
        colors.append(shades[used[status["category"]] % len(shades)])
    below = [0] * len(dates)
    # Done at the bottom, as cumulative flow diagrams are drawn.
    for index in reversed(range(len(statuses))):
        above = [below[d] + counts[d][index] for d in range(len(dates))]
        top = [(xs(d), ys(above[d])) for d in range(len(dates))]
        bottom = [(xs(d), ys(below[d])) for d in range(len(dates))][::-1]
        canvas.polygon(top + bottom, colors[index], opacity=0.9)
        below = above
    step = max(1, math.ceil(len(dates) / 7))
    canvas.x_labels([(xs(d), dates[d]) for d in range(0, len(dates), step)])
    canvas.legend([(s["name"], colors[i]) for i, s in enumerate(statuses)])
    return canvas.render()


def created_resolved_chart(title: str, periods: Sequence[dict], cumulative: bool) -> str:
    if not periods:
        return empty_chart(title)
    suffix = "_cumulative" if cumulative else ""
    canvas = Canvas(title)
    x0, y0, x1, y1 = canvas.plot
    ticks = nice_ticks(0, max([p["created" + suffix] for p in periods] + [p["resolved" + suffix] for p in periods]
                              + [1]))
    xs = Scale(0, max(len(periods) - 1, 1), x0, x1)
    ys = Scale(0, ticks[-1], y1, y0)
    canvas.y_axis(ys, ticks, "issues")
    for key, color in (("created", "#d04a4a"), ("resolved", "#3a9d5d")):
        canvas.polyline([(xs(i), ys(p[key + suffix])) for i, p in enumerate(periods)], color)
    step = max(1, math.ceil(len(periods) / 7))
    canvas.x_labels([(xs(i), periods[i]["period_start"]) for i in range(0, len(periods), step)])
    canvas.legend([("Created", "#d04a4a"), ("Resolved", "#3a9d5d")])
    return canvas.render()


def pie_chart(title: str, slices: Sequence[tuple[str, int]]) -> str:
    total = sum(count for _, count in slices)
    if not total:
        return empty_chart(title, "No issues.")
    canvas = Canvas(title, width=620, right=220)
    cx, cy, radius = 210.0, 205.0, 140.0
    angle = -math.pi / 2
    for index, (label, count) in enumerate(slices):
        color = PALETTE[index % len(PALETTE)]
        share = count / total
        if share >= 0.999999:
            canvas.circle(cx, cy, radius, color, label=f"{label}: {count}")
            continue
        end = angle + share * 2 * math.pi
        large = 1 if share > 0.5 else 0
        d = (f"M {cx:.2f} {cy:.2f} L {cx + radius * math.cos(angle):.2f} {cy + radius * math.sin(angle):.2f} "
             f"A {radius:.2f} {radius:.2f} 0 {large} 1 {cx + radius * math.cos(end):.2f} "
             f"{cy + radius * math.sin(end):.2f} Z")
        canvas.path(d, color, label=f"{label}: {count}")
        angle = end
    canvas.legend([(f"{label} ({count})", PALETTE[i % len(PALETTE)]) for i, (label, count) in enumerate(slices)])
    return canvas.render()
