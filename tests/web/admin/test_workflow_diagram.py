"""The diagram's layout, without a page: columns by category, rows in order, one arrow per pair
of statuses labelled with every transition between them."""

from __future__ import annotations

from tessera.web.admin.workflow_diagram import BOX_HEIGHT, layout


def test_columns_rows_and_arrows() -> None:
    diagram = layout({
        "statuses": [{"name": "Open", "category": "todo"}, {"name": "Doing", "category": "in_progress"},
                     {"name": "Review", "category": "in_progress"}, {"name": "Done", "category": "done"}],
        "initial_status": "Open",
        "transitions": [{"name": "Start", "from": ["Open"], "to": "Doing"},
                        {"name": "Begin", "from": ["Open"], "to": "Doing"},
                        {"name": "Review", "from": ["Doing"], "to": "Review"},
                        {"name": "Finish", "from": [], "to": "Done"},
                        {"name": "Reopen", "from": ["Done"], "to": "Open"},
                        {"name": "Stay", "from": ["Open"], "to": "Open"}]})
    boxes = {b.name: b for b in diagram.boxes}
    assert boxes["Open"].x < boxes["Doing"].x == boxes["Review"].x < boxes["Done"].x
    assert boxes["Review"].y > boxes["Doing"].y and boxes["Doing"].y == boxes["Open"].y == boxes["Done"].y
    assert boxes["Open"].initial and not boxes["Done"].initial
    labels = sorted(e.label for e in diagram.edges)
    assert labels == ["Finish", "Reopen", "Review", "Start, Begin"]  # a loop onto itself is not drawn
    assert [e.anywhere for e in diagram.edges if e.label == "Finish"] == [True]
    assert diagram.height >= boxes["Review"].y + BOX_HEIGHT


def test_an_empty_column_and_long_names() -> None:
    diagram = layout({"statuses": [{"name": "Only", "category": "done"}], "initial_status": "Only",
                      "transitions": [{"name": "x" * 60, "from": [], "to": "Only"}]})
    assert len(diagram.columns) == 3 and len(diagram.boxes) == 1
    assert diagram.edges[0].label.endswith("…") and len(diagram.edges[0].label) == 40
