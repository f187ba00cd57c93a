"""Publishing a workflow draft that removes statuses moves the issues in them, in bulk, to the
statuses the mapping names, with history, on both backends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.workflows import (
    FLOW,
    FLOW_V2,
    create_issue,
    create_workflow,
    get,
    histories,
    offered,
    ok,
    outbox,
    run,
)
from tests.support import OrgHandle


def test_publishing_a_draft_that_removes_statuses_maps_issues_in_bulk(client: TestClient, org: OrgHandle,
                                                                      project: dict, database_url: str) -> None:
    created = create_workflow(client, org, FLOW)
    open_issue = create_issue(client, org.headers, project, workflow_id="flow")
    doing = [create_issue(client, org.headers, project, workflow_id="flow") for _ in range(3)]
    closed = [create_issue(client, org.headers, project, workflow_id="flow") for _ in range(2)]
    for issue in doing:
        ok(run(client, org.headers, issue, "go"))
    for issue in closed:
        assert ok(run(client, org.headers, issue, "close"))["resolution"]["name"] == "Done"
    other = create_issue(client, org.headers, project)  # default workflow: never touched
    ok(client.put(f"/v2/workflows/{created['id']}", json=FLOW_V2, headers=org.headers))
    refused = ok(client.post(f"/v2/workflows/{created['id']}/publish", json={}, headers=org.headers), 400)["error"]
    assert refused["code"] == "status_mapping_required"
    assert set(refused["errors"]) == {"status_mapping.Doing", "status_mapping.Closed"}
    assert "3 issue(s) are in 'Doing'" in refused["errors"]["status_mapping.Doing"]
    wrong = ok(client.post(f"/v2/workflows/{created['id']}/publish", json={"status_mapping": {
        "Doing": "Done", "Closed": "Open"}}, headers=org.headers), 400)["error"]
    assert set(wrong["errors"]) == {"status_mapping.Doing"}
    assert ok(client.get(f"/v2/workflows/{created['id']}", headers=org.headers))["version"] == 1
    assert get(client, org, doing[0])["status"]["name"] == "Doing"
    events = len(outbox(database_url, org))
    published = ok(client.post(f"/v2/workflows/{created['id']}/publish", json={"status_mapping": {
        "Doing": "Finished", "closed": "Open"}}, headers=org.headers))
    assert published == {"workflow_id": created["id"], "version": 2, "moved": {"Doing": 3, "Closed": 2}}
    # catalog_changed: every catalog change says so (caches of authenticated actors carry its version).
    assert outbox(database_url, org)[events:] == ["catalog_changed", "workflow_published"]
    for issue in doing:
        now = get(client, org, issue)
        assert (now["status"]["name"], now["version"], now["resolution"]["name"]) == ("Finished", 3, "Done")
        assert now["resolved"] is not None
        last = histories(client, org, issue)
        assert len(last) == 2
        assert [(i["field"], i["from_string"], i["to_string"]) for i in last[-1]["items"]] == [
            ("status", "Doing", "Finished"), ("resolution", None, "Done")]
    for issue in closed:
        now = get(client, org, issue)
        assert (now["status"]["name"], now["version"], now["resolution"], now["resolved"]) == ("Open", 3, None, None)
        assert [(i["field"], i["from_string"], i["to_string"]) for i in histories(client, org, issue)[-1]["items"]
                ] == [("status", "Closed", "Open"), ("resolution", "Done", None)]
    # The history says what the issues held: WAS sees the resolutions the move set and cleared.
    for jql, expected in ((f'resolution WAS Done AND key = {doing[0]["key"]}', 1),
                          (f'resolution WAS EMPTY AND key = {doing[0]["key"]}', 1),
                          (f'resolution WAS Done AND key = {closed[0]["key"]}', 1),
                          (f'resolution WAS Done AND key = {open_issue["key"]}', 0)):
        assert ok(client.post("/v2/search", json={"jql": jql}, headers=org.headers))["total"] == expected, jql
    untouched = get(client, org, open_issue)
    assert (untouched["status"]["name"], untouched["version"]) == ("Open", 1)
    assert histories(client, org, open_issue) == []
    assert get(client, org, other)["version"] == 1
    assert offered(client, org.headers, untouched) == {"review"}
    assert offered(client, org.headers, closed[0]) == {"review"}
