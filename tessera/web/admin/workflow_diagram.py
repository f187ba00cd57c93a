"""The geometry of a workflow's diagram, drawn as SVG by admin/workflow.html: statuses in three
columns by category (To Do, In Progress, Done) in the definition's order, transitions as
arrows between them, transitions from any status as an "any" arrow into their target, and the
initial status marked. Pure: it takes the portable definition (workflow.service.to_portable)
and returns shapes, so the layout is tested without a browser.

Arrows between the same two statuses are drawn once, labelled with every transition's name;
arrows going back bend the other way so they do not hide the ones going forward: right to
left below the middle, and within a column down on the right side, up on the left. A
transition from any status is a short dashed arrow into the top of its target, labelled
above it (in the gap between rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.workflow.models import CATEGORY_NAMES, STATUS_CATEGORIES

BOX_WIDTH, BOX_HEIGHT = 168, 38
COLUMN_GAP, ROW_GAP = 150, 30
LEFT, TOP = 120, 64


@dataclass(frozen=True)
class Box:
    name: str
    category: str
    x: float
    y: float
    initial: bool

    @property
    def cx(self) -> float:
        return self.x + BOX_WIDTH / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_HEIGHT / 2


@dataclass(frozen=True)
class Edge:
    path: str
    label: str
    label_x: float
    label_y: float
    anywhere: bool  # from any status
    anchor: str = "middle"  # the label's SVG text-anchor


@dataclass(frozen=True)
class Column:
    title: str
    category: str
    x: float


@dataclass(frozen=True)
class Diagram:
    width: float
    height: float
    columns: list[Column]
    boxes: list[Box]
    edges: list[Edge]


def _column_x(index: int) -> float:
    return LEFT + index * (BOX_WIDTH + COLUMN_GAP)


def layout(definition: dict[str, Any]) -> Diagram:
    rows = dict.fromkeys(STATUS_CATEGORIES, 0)
    boxes: dict[str, Box] = {}
    for status in definition["statuses"]:
        category = status["category"] if status["category"] in rows else STATUS_CATEGORIES[0]
        column = STATUS_CATEGORIES.index(category)
        boxes[status["name"]] = Box(name=status["name"], category=category, x=_column_x(column),
                                    y=TOP + rows[category] * (BOX_HEIGHT + ROW_GAP),
                                    initial=status["name"] == definition.get("initial_status"))
        rows[category] += 1
    named: dict[tuple[str | None, str], list[str]] = {}
    for transition in definition.get("transitions", []):
        if transition["to"] not in boxes:
            continue
        sources = [s for s in transition.get("from", []) if s != "*" and s in boxes] or [None]
        for source in sources:
            if source != transition["to"]:
                named.setdefault((source, transition["to"]), []).append(transition["name"])
    edges = [_edge(boxes[target], boxes[source] if source else None, names)
             for (source, target), names in named.items()]
    tallest = max(rows.values(), default=1) or 1
    return Diagram(width=_column_x(len(STATUS_CATEGORIES) - 1) + BOX_WIDTH + LEFT,
                   height=TOP + tallest * (BOX_HEIGHT + ROW_GAP) + 24,
                   columns=[Column(title=CATEGORY_NAMES[c], category=c, x=_column_x(i))
                            for i, c in enumerate(STATUS_CATEGORIES)],
                   boxes=list(boxes.values()), edges=edges)


def _label(names: list[str]) -> str:
    text = ", ".join(dict.fromkeys(names))
    return text if len(text) <= 40 else text[:39] + "…"


def _edge(target: Box, source: Box | None, names: list[str]) -> Edge:
    label = _label(names)
    if source is None:  # from any status: a short dashed arrow into the top of the target
        x = target.x + BOX_WIDTH - 18
        return Edge(path=f"M{x:.0f},{target.y - 18:.0f} L{x:.0f},{target.y - 2:.0f}", label=label,
                    label_x=x - 6, label_y=target.y - 6, anywhere=True, anchor="end")
    if source.x == target.x:  # the same column: an arc, down on the right side and up on the left
        down = target.y > source.y
        bend = 24 + abs(target.y - source.y) / 6
        x = source.x + BOX_WIDTH if down else source.x
        out = x + bend if down else x - bend
        y1, y2 = source.cy + (4 if down else -4), target.cy + (-4 if down else 4)
        tip = x + 2 if down else x - 2
        path = f"M{x:.0f},{y1:.0f} C{out:.0f},{y1:.0f} {out:.0f},{y2:.0f} {tip:.0f},{y2:.0f}"
        label_x = x + bend * 0.75 + 4 if down else x - bend * 0.75 - 4
        return Edge(path=path, label=label, label_x=label_x, label_y=(y1 + y2) / 2 + 4, anywhere=False,
                    anchor="start" if down else "end")
    forward = target.x > source.x
    x1 = source.x + BOX_WIDTH if forward else source.x
    x2 = target.x - 2 if forward else target.x + BOX_WIDTH + 2
    # Forward arrows leave a little above the middle, backward ones below, and bend apart.
    y1 = source.cy + (-6 if forward else 6)
    y2 = target.cy + (-6 if forward else 6)
    bend = -18 if forward else 18
    middle = (x1 + x2) / 2
    path = f"M{x1:.0f},{y1:.0f} C{middle:.0f},{y1 + bend:.0f} {middle:.0f},{y2 + bend:.0f} {x2:.0f},{y2:.0f}"
    return Edge(path=path, label=label, label_x=middle, label_y=(y1 + y2) / 2 + bend * 0.75 + (-4 if forward else 12),
                anywhere=False)

