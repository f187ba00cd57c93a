"""A report's CSV, asked for by `format=csv` or by Accept, holds exactly the JSON's series."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.factories.dated_world import DatedWorld
from tests.support import OrgHandle


def test_csv_matches_the_json(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    url = f"/v2/projects/{dated.project['id']}/reports/burndown"
    params = {"sprint_id": dated.sprint1["id"]}
    data = client.get(url, params=params, headers=dated_org.headers).json()
    by_param = client.get(url, params={**params, "format": "csv"}, headers=dated_org.headers)
    by_accept = client.get(url, params=params, headers={**dated_org.headers, "Accept": "text/csv"})
    assert by_param.status_code == by_accept.status_code == 200
    assert by_param.headers["content-type"].startswith("text/csv") and by_param.text == by_accept.text
    rows = list(csv.DictReader(io.StringIO(by_param.text)))
    for series in ("ideal", "actual", "remaining"):
        assert [(r["at"], float(r["value"]), r["event"] or None, r["issue_key"] or None)
                for r in rows if r["series"] == series] == \
            [(p["at"], p["value"], p.get("event"), p.get("issue_key")) for p in data[series]]
