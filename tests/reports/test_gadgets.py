"""A dashboard's layout is checked when saved: every bad layout answers 400 naming the place."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.boards import error, ok
from tests.factories.dashboards import gadget
from tests.support import OrgHandle


def test_bad_layouts_answer_400_naming_the_place(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    good = gadget("filter_results", jql="project = PROJ")
    cases = [
        ([good, good, gadget("pie_chart", jql="project = = PROJ", field="status")], "layout.gadgets[2].config.jql"),
        ([gadget("pie_chart", jql="status = Nope", field="status")], "layout.gadgets[0].config.jql"),
        ([good, {"type": "clock"}], "layout.gadgets[1].type"),
        ([gadget("pie_chart", jql="", field="summary")], "layout.gadgets[0].config.field"),
        ([gadget("pie_chart", jql="")], "layout.gadgets[0].config.field"),
        ([gadget("filter_results", jql="", colour="red")], "layout.gadgets[0].config.colour"),
        ([gadget("filter_results", jql="", max_results=0)], "layout.gadgets[0].config.max_results"),
        ([gadget("filter_results", jql="", columns=["key", "nope"])], "layout.gadgets[0].config.columns[1]"),
        ([gadget("filter_results")], "layout.gadgets[0].config.jql"),
        ([gadget("filter_results", jql="", filter_id=987654321)], "layout.gadgets[0].config.filter_id"),
        ([gadget("filter_results", filter_id=987654321)], "layout.gadgets[0].config.filter_id"),
        ([gadget("velocity", board_id=987654321)], "layout.gadgets[0].config.board_id"),
        ([gadget("velocity", board_id="x")], "layout.gadgets[0].config.board_id"),
        ([gadget("created_vs_resolved", jql="", period="soon")], "layout.gadgets[0].config.period"),
        ([gadget("created_vs_resolved", jql="", interval="hour")], "layout.gadgets[0].config.interval"),
        ([{**good, "id": "a b"}], "layout.gadgets[0].id"),
        ([{**good, "id": "x"}, {**good, "id": "x"}], "layout.gadgets[1].id"),
        ([{**good, "column": 5}], "layout.gadgets[0].column"),
        ([{**good, "width": 2}], "layout.gadgets[0].width"),
        ([{**good, "config": []}], "layout.gadgets[0].config"),
        (["pie"], "layout.gadgets[0]"),
    ]
    for gadgets, field in cases:
        answer = error(client.post("/v2/dashboards", json={"name": "Bad", "layout": {"gadgets": gadgets}},
                                   headers=h), 400)
        assert answer["field"] == field, (gadgets, answer)
        assert answer["message"], answer
    assert error(client.post("/v2/dashboards", json={"name": "Bad", "layout": {"columns": 9}}, headers=h),
                 400)["field"] == "layout.columns"
    jql_error = error(client.post("/v2/dashboards", json={"name": "Bad", "layout": {"gadgets": [
        gadget("pie_chart", jql="project = = PROJ", field="status")]}}, headers=h), 400)
    assert "line 1, column" in jql_error["message"]
    assert error(client.post("/v2/dashboards", json={"name": "Bad", "shares": [{"type": "everyone"}]}, headers=h),
                 400)["field"] == "shares.0.type"
    assert ok(client.get("/v2/dashboards", headers=h))["total"] == 0
