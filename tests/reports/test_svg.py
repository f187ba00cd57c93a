"""The SVG writer of the report charts: text and attribute values escaped, characters XML cannot
carry dropped, round ticks that cover the range, linear scales, and documents that parse."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from tessera.reports.svg import Canvas, Scale, clean, date_label, empty_chart, nice_ticks, parse_time

SVG = "{http://www.w3.org/2000/svg}"


def test_text_is_escaped_and_what_xml_cannot_carry_is_dropped() -> None:
    assert clean('<b> & "quoted" \'single\'') == "&lt;b&gt; &amp; &quot;quoted&quot; &apos;single&apos;"
    assert clean("a\x00b\x1fc\ud800d\ufffe") == "abcd"
    assert clean("tab\tnew\nline\r") == "tab\tnew\nline\r"
    assert clean(12.5) == "12.5"


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0, 10, [0, 2, 4, 6, 8, 10]), (0, 7, [0, 2, 4, 6, 8]), (3, 3, [3, 3.2, 3.4, 3.6, 3.8, 4]),
    (-5, 5, [-6, -4, -2, 0, 2, 4, 6]), (0, 0.9, [0, 0.2, 0.4, 0.6, 0.8, 1]), (0, 1000, [0, 200, 400, 600, 800, 1000]),
])
def test_ticks_are_round_and_cover_the_range(low: float, high: float, expected: list[float]) -> None:
    ticks = nice_ticks(low, high)
    assert ticks == pytest.approx(expected)
    assert ticks[0] <= low and ticks[-1] >= max(high, low)


def test_scales_map_linearly_and_never_divide_by_zero() -> None:
    up = Scale(low=0, high=10, start=100, end=300)
    assert (up(0), up(5), up(10)) == (100, 200, 300)
    down = Scale(low=0, high=4, start=300, end=40)  # y grows downwards
    assert (down(0), down(4), down(1)) == (300, 40, 235)
    assert Scale(low=2, high=2, start=0, end=10)(3) == 10


def test_a_canvas_renders_a_document_that_parses_with_its_text_intact() -> None:
    canvas = Canvas('Sprint <1> & "one"')
    canvas.text(10, 20, "A & B < C")
    canvas.line(0, 0, 10, 10, dash="4 2")
    canvas.polyline([(0, 0), (1.234, 5.5)], "#123456")
    canvas.polyline([], "#123456")
    canvas.rect(0, 0, -5, 3, "#ff0000", label="Tip <x>")
    canvas.circle(1, 2, 3, "#00ff00", label="Point")
    canvas.legend([("Done & dusted " * 4, "#000000")])
    root = ElementTree.fromstring(canvas.render().split("\n", 1)[1])
    assert root.tag == f"{SVG}svg" and root.get("aria-label") == 'Sprint <1> & "one"'
    assert root.find(f"{SVG}title").text == 'Sprint <1> & "one"'  # type: ignore[union-attr]
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "A & B < C" in texts and ("Done & dusted " * 4)[:28] in texts
    assert [p.get("points") for p in root.iter(f"{SVG}polyline")] == ["0,0 1.23,5.5"]
    [tip] = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert tip.get("width") == "0" and tip.find(f"{SVG}title").text == "Tip <x>"  # type: ignore[union-attr]
    assert root.find(f"{SVG}line").get("stroke-dasharray") == "4 2"  # type: ignore[union-attr]


def test_an_empty_chart_says_so_and_times_round_trip_to_dates() -> None:
    root = ElementTree.fromstring(empty_chart("Velocity").split("\n", 1)[1])
    assert "No data in this period." in [element.text for element in root.iter(f"{SVG}text")]
    assert date_label(parse_time("2026-03-05T10:00:00Z")) == "2026-03-05"
    assert parse_time("2026-03-05T00:00:00+00:00") == parse_time("2026-03-05T00:00:00Z")
