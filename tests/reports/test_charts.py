"""Every report draws a well-formed SVG chart (asked for by `format=svg` or by Accept), its text
escaped: the dated project's and sprint's names hold <, > and &."""

from __future__ import annotations

from xml.etree import ElementTree

from fastapi.testclient import TestClient

from tests.factories.dated_world import MARCH, DatedWorld
from tests.support import OrgHandle


def test_every_report_draws_valid_svg_with_escaped_text(client: TestClient, dated_org: OrgHandle,
                                                        dated: DatedWorld) -> None:
    """The project and sprint names hold <, > and &: the charts must stay well-formed XML."""
    base = f"/v2/projects/{dated.project['id']}/reports"
    for report, params in (("burndown", {"sprint_id": dated.sprint1["id"]}), ("burnup", {"sprint_id": dated.sprint1["id"]}),
                           ("velocity", {"period": "1y"}), ("cycle-time", MARCH), ("control-chart", MARCH),
                           ("cumulative-flow", MARCH), ("created-vs-resolved", MARCH), ("time-in-status", MARCH),
                           ("velocity", {"period": "2d"})):
        response = client.get(f"{base}/{report}", params={**params, "format": "svg"}, headers=dated_org.headers)
        assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
        root = ElementTree.fromstring(response.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", report
        assert "<1>" not in response.text and "Reports <&>" not in response.text
    accepted = client.get(f"{base}/burndown", params={"sprint_id": dated.sprint1["id"]},
                          headers={**dated_org.headers, "Accept": "image/svg+xml"})
    title = ElementTree.fromstring(accepted.content).find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == 'Sprint <1> & "one": burndown (Story Points)'
