"""JQL over work logs, voters, attachments and workRatio, as Jira users write them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle, UserHandle, create_estimated_issues


def _keys(client: TestClient, org: OrgHandle, jql: str, headers: dict | None = None) -> set[str]:
    response = client.post("/v2/search", json={"jql": jql, "fields": ["key"]}, headers=headers or org.headers)
    assert response.status_code == 200, (jql, response.text)
    return {issue["key"] for issue in response.json()["issues"]}


def test_worklogs_voters_attachments_and_work_ratio(client: TestClient, org: OrgHandle, project: dict,
                                                    member: UserHandle) -> None:
    keys = create_estimated_issues(client, org, project, {"logged": "10h", "voted": None, "attached": "4h"})
    worklog = {"timeSpent": "5h", "comment": "Profiled the checkout flow", "started": "2026-01-05T10:00:00.000+0000"}
    response = client.post(f"/rest/api/2/issue/{keys['logged']}/worklog", json=worklog, headers=org.headers)
    assert response.status_code == 201, response.text
    assert client.put(f"/v2/issues/{keys['voted']}/vote", headers=member.headers).status_code in (200, 204)
    upload = client.post(f"/v2/issues/{keys['attached']}/attachments", headers=org.headers,
                         files={"file": ("notes.txt", b"plain notes", "text/plain")})
    assert upload.status_code == 201, upload.text

    assert _keys(client, org, "worklogAuthor = currentUser()") == {keys["logged"]}
    assert _keys(client, org, f'worklogAuthor = "{member.email}"') == set()
    assert _keys(client, org, 'worklogDate = "2026-01-05"') == {keys["logged"]}
    assert _keys(client, org, 'worklogDate > "2026-01-06"') == set()
    assert _keys(client, org, "worklogComment ~ checkout") == {keys["logged"]}
    assert _keys(client, org, f'voter = "{member.email}"') == {keys["voted"]}
    assert _keys(client, org, "voter = currentUser()", headers=member.headers) == {keys["voted"]}
    assert _keys(client, org, "attachments IS NOT EMPTY") == {keys["attached"]}
    assert _keys(client, org, "attachments IS EMPTY") == {keys["logged"], keys["voted"]}
    assert _keys(client, org, "workRatio >= 50") == {keys["logged"]}  # 5h of 10h
    assert _keys(client, org, "workRatio = 0") == {keys["attached"]}
    assert _keys(client, org, "workRatio IS EMPTY") == {keys["voted"]}  # no estimate
    response = client.post("/v2/search", json={"jql": "workRatio > lots"}, headers=org.headers)
    assert response.status_code == 400 and "workRatio" in response.text
