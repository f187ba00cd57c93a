"""A small SVG writer for report charts: a canvas with a plot area, linear scales, axes with
ticks, and a legend. Every piece of text and every attribute value is escaped here, and
characters XML cannot carry at all (control characters, lone surrogates) are dropped."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape

PALETTE = ("#2f6fd0", "#e0703a", "#3a9d5d", "#a04cc0", "#c9a227", "#d04a6a", "#4bb3c4", "#7a7a7a", "#8c5a2b",
           "#5d6bd8", "#5fae3f", "#c05050")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ENTITIES = {'"': "&quot;", "'": "&apos;"}


def clean(text: object) -> str:
    return escape(_NOT_XML.sub("", str(text)), _ENTITIES)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if math.isfinite(value) else "0"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


@dataclass
class Scale:
    low: float
    high: float
    start: float  # pixels
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


@dataclass
class Canvas:
    title: str
    width: int = 760
    height: int = 380
    left: int = 64
    right: int = 170
    top: int = 44
    bottom: int = 56
    parts: list[str] = field(default_factory=list)

    @property
    def plot(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the plot area; y grows downwards."""
        return self.left, self.top, self.width - self.right, self.height - self.bottom

    def add(self, tag: str, text: str | None = None, **attributes: object) -> None:
        attrs = " ".join(f'{name.rstrip("_").replace("_", "-")}="{clean(value)}"'
                         for name, value in attributes.items() if value is not None)
        self.parts.append(f"<{tag} {attrs}>{clean(text)}</{tag}>" if text is not None else f"<{tag} {attrs}/>")

    def text(self, x: float, y: float, text: object, *, size: int = 11, anchor: str = "start",
             color: str = "#333333", weight: str | None = None) -> None:
        self.add("text", str(text), x=_number(x), y=_number(y), font_size=size, text_anchor=anchor, fill=color,
                 font_weight=weight)

    def line(self, x1: float, y1: float, x2: float, y2: float, color: str = "#cccccc", width: float = 1,
             dash: str | None = None) -> None:
        self.add("line", x1=_number(x1), y1=_number(y1), x2=_number(x2), y2=_number(y2), stroke=color,
                 stroke_width=width, stroke_dasharray=dash)

    def polyline(self, points: Sequence[tuple[float, float]], color: str, *, width: float = 2,
                 dash: str | None = None) -> None:
        if points:
            self.add("polyline", points=" ".join(f"{_number(x)},{_number(y)}" for x, y in points), fill="none",
                     stroke=color, stroke_width=width, stroke_dasharray=dash)

    def polygon(self, points: Sequence[tuple[float, float]], color: str, *, opacity: float = 0.25) -> None:
        if points:
            self.add("polygon", points=" ".join(f"{_number(x)},{_number(y)}" for x, y in points), fill=color,
                     fill_opacity=opacity, stroke="none")

    def rect(self, x: float, y: float, width: float, height: float, color: str, *, opacity: float = 1.0,
             label: str | None = None) -> None:
        if label is None:
            self.add("rect", x=_number(x), y=_number(y), width=_number(max(width, 0)), height=_number(max(height, 0)),
                     fill=color, fill_opacity=opacity)
        else:  # a tooltip: the rect carries a <title>
            self.parts.append(f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(max(width, 0))}" '
                              f'height="{_number(max(height, 0))}" fill="{clean(color)}" fill-opacity="{opacity}">'
                              f"<title>{clean(label)}</title></rect>")

    def circle(self, x: float, y: float, radius: float, color: str, *, label: str | None = None) -> None:
        tip = f"<title>{clean(label)}</title>" if label is not None else ""
        self.parts.append(f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(radius)}" fill="{clean(color)}">'
                          f"{tip}</circle>")

    def path(self, d: str, color: str, *, label: str | None = None) -> None:
        tip = f"<title>{clean(label)}</title>" if label is not None else ""
        self.parts.append(f'<path d="{clean(d)}" fill="{clean(color)}" stroke="#ffffff" stroke-width="1">{tip}</path>')

    def y_axis(self, scale: Scale, ticks: Sequence[float], label: str | None = None) -> None:
        x0, _, x1, _ = self.plot
        for tick in ticks:
            y = scale(tick)
            self.line(x0, y, x1, y, "#eeeeee")
            self.text(x0 - 6, y + 4, _number(tick), size=10, anchor="end", color="#666666")
        if label:
            self.text(12, self.top - 12, label, size=10, color="#666666")

    def x_labels(self, labels: Sequence[tuple[float, str]]) -> None:
        _, _, _, y1 = self.plot
        self.line(self.left, y1, self.width - self.right, y1, "#999999")
        for x, text in labels:
            self.line(x, y1, x, y1 + 4, "#999999")
            self.text(x, y1 + 17, text, size=10, anchor="middle", color="#666666")

    def legend(self, entries: Sequence[tuple[str, str]]) -> None:
        x = self.width - self.right + 14
        for index, (label, color) in enumerate(entries[:20]):
            y = self.top + 6 + index * 18
            self.rect(x, y - 9, 12, 12, color)
            self.text(x + 18, y + 1, label[:28], size=11)

    def render(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" role="img" aria-label="{clean(self.title)}" '
                f'font-family="Helvetica, Arial, sans-serif">')
        title = f"<title>{clean(self.title)}</title>"
        background = f'<rect x="0" y="0" width="{self.width}" height="{self.height}" fill="#ffffff"/>'
        heading = f'<text x="{self.left}" y="24" font-size="14" font-weight="bold" fill="#222222">' \
                  f"{clean(self.title[:110])}</text>"
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + head + title + background + heading + \
            "".join(self.parts) + "</svg>\n"


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def date_label(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def empty_chart(title: str, message: str = "No data in this period.") -> str:
    canvas = Canvas(title)
    canvas.text(canvas.width / 2, canvas.height / 2, message, size=13, anchor="middle", color="#888888")
    return canvas.render()
