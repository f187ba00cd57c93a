"""Another organization's resources answer through /rest exactly as missing ones do: 404 in
Jira's error shape, for reads and writes alike, and nothing of them leaks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle

API, AGILE = "/rest/api/2", "/rest/agile/1.0"


def _world(client: TestClient, org: OrgHandle) -> dict[str, str]:
    """Org A's issue with a comment, worklog, remote link, link and attachment; a filter, a
    board with a sprint, a component and a version."""
    h = org.headers
    ok(client.post(f"{API}/project", json={"key": "SEC", "name": "Secret", "projectTypeKey": "software"},
                    headers=h), 201)
    issue = ok(client.post(f"{API}/issue", json={"fields": {"project": {"key": "SEC"}, "summary": "Secret plan",
                                                             "issuetype": {"name": "Task"}}}, headers=h), 201)
    other = ok(client.post(f"{API}/issue", json={"fields": {"project": {"key": "SEC"}, "summary": "Other",
                                                             "issuetype": {"name": "Task"}}}, headers=h), 201)
    comment = ok(client.post(f"{API}/issue/SEC-1/comment", json={"body": "hush"}, headers=h), 201)
    worklog = ok(client.post(f"{API}/issue/SEC-1/worklog", json={"timeSpent": "1h"}, headers=h), 201)
    remote = ok(client.post(f"{API}/issue/SEC-1/remotelink", json={"object": {"url": "https://x.test",
                                                                               "title": "x"}}, headers=h), 201)
    ok(client.post(f"{API}/issueLink", json={"type": {"name": "Blocks"}, "inwardIssue": {"key": "SEC-1"},
                                              "outwardIssue": {"key": "SEC-2"}}, headers=h), 201)
    link = ok(client.get(f"{API}/issue/SEC-1", headers=h))["fields"]["issuelinks"][0]
    attachment = ok(client.post(f"{API}/issue/SEC-1/attachments", files={"file": ("plan.txt", b"the plan")},
                                 headers={**h, "X-Atlassian-Token": "no-check"}))[0]
    saved = ok(client.post(f"{API}/filter", json={"name": "Secrets", "jql": "project = SEC"}, headers=h))
    board = ok(client.post(f"{AGILE}/board", json={"name": "Secret board", "filterId": saved["id"],
                                                    "type": "scrum"}, headers=h), 201)
    sprint = ok(client.post(f"{AGILE}/sprint", json={"name": "S1", "originBoardId": board["id"]}, headers=h), 201)
    component = ok(client.post(f"{API}/component", json={"name": "Vault", "project": "SEC"}, headers=h), 201)
    version = ok(client.post(f"{API}/version", json={"name": "1.0", "project": "SEC"}, headers=h), 201)
    return {"issue": issue["id"], "key": issue["key"], "other": other["key"], "comment": comment["id"],
            "worklog": worklog["id"], "remote": str(remote["id"]), "link": link["id"],
            "attachment": attachment["id"], "filter": saved["id"], "board": str(board["id"]),
            "sprint": str(sprint["id"]), "component": component["id"], "version": version["id"]}


def test_org_b_gets_404_for_everything_of_org_a(client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    w = _world(client, org)
    issue_paths = [f"{API}/issue/{ref}" for ref in (w["key"], w["issue"])]
    reads = [
        *issue_paths, f"{API}/issue/{w['key']}/comment", f"{API}/issue/{w['key']}/comment/{w['comment']}",
        f"{API}/issue/{w['key']}/transitions", f"{API}/issue/{w['key']}/watchers", f"{API}/issue/{w['key']}/votes",
        f"{API}/issue/{w['key']}/worklog", f"{API}/issue/{w['key']}/worklog/{w['worklog']}",
        f"{API}/issue/{w['key']}/remotelink", f"{API}/issue/{w['key']}/remotelink/{w['remote']}",
        f"{API}/issue/{w['key']}/editmeta", f"{API}/issueLink/{w['link']}", f"{API}/attachment/{w['attachment']}",
        f"{API}/attachment/content/{w['attachment']}", f"{API}/project/SEC", f"{API}/project/SEC/statuses",
        f"{API}/project/SEC/components", f"{API}/project/SEC/versions", f"{API}/project/SEC/role",
        f"{API}/issue/createmeta/SEC/issuetypes", f"{API}/component/{w['component']}",
        f"{API}/version/{w['version']}", f"{API}/filter/{w['filter']}", f"{AGILE}/board/{w['board']}",
        f"{AGILE}/board/{w['board']}/issue", f"{AGILE}/board/{w['board']}/backlog",
        f"{AGILE}/board/{w['board']}/sprint", f"{AGILE}/board/{w['board']}/configuration",
        f"{AGILE}/sprint/{w['sprint']}", f"{AGILE}/sprint/{w['sprint']}/issue"]
    b = other_org.headers
    for path in reads:
        response = client.get(path, headers=b)
        assert response.status_code == 404, (path, response.status_code, response.text)
        body = response.json()
        assert set(body) == {"errorMessages", "errors"} and body["errorMessages"], (path, body)
        assert "Secret" not in response.text and "hush" not in response.text
    writes = [
        ("PUT", f"{API}/issue/{w['key']}", {"fields": {"summary": "mine"}}),
        ("DELETE", f"{API}/issue/{w['key']}", None),
        ("PUT", f"{API}/issue/{w['key']}/assignee", {"name": other_org.admin_email}),
        ("POST", f"{API}/issue/{w['key']}/comment", {"body": "hi"}),
        ("PUT", f"{API}/issue/{w['key']}/comment/{w['comment']}", {"body": "edited"}),
        ("DELETE", f"{API}/issue/{w['key']}/comment/{w['comment']}", None),
        ("POST", f"{API}/issue/{w['key']}/transitions", {"transition": {"id": "11"}}),
        ("POST", f"{API}/issue/{w['key']}/watchers", None),
        ("POST", f"{API}/issue/{w['key']}/votes", None),
        ("POST", f"{API}/issue/{w['key']}/worklog", {"timeSpent": "1h"}),
        ("DELETE", f"{API}/issue/{w['key']}/worklog/{w['worklog']}", None),
        ("POST", f"{API}/issue/{w['key']}/remotelink", {"object": {"url": "https://y.test", "title": "y"}}),
        ("DELETE", f"{API}/issueLink/{w['link']}", None),
        ("DELETE", f"{API}/attachment/{w['attachment']}", None),
        ("PUT", f"{API}/filter/{w['filter']}", {"name": "taken"}),
        ("DELETE", f"{API}/filter/{w['filter']}", None),
        ("PUT", f"{API}/filter/{w['filter']}/favourite", None),
        ("PUT", f"{API}/component/{w['component']}", {"name": "x"}),
        ("DELETE", f"{API}/version/{w['version']}", None),
        ("DELETE", f"{AGILE}/board/{w['board']}", None),
        ("PUT", f"{AGILE}/sprint/{w['sprint']}", {"state": "active"}),
        ("POST", f"{AGILE}/sprint/{w['sprint']}/issue", {"issues": [w["key"]]}),
    ]
    for method, path, body in writes:
        response = client.request(method, path, json=body, headers={**b, "X-Atlassian-Token": "no-check"})
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert set(response.json()) == {"errorMessages", "errors"}
    # References inside bodies to org A's things are refused like unknown ones, never acted on.
    refused = [
        ("POST", f"{API}/issue", {"fields": {"project": {"key": "SEC"}, "summary": "x", "issuetype": {"name": "Task"}}}),
        ("POST", f"{API}/issueLink", {"type": {"name": "Blocks"}, "inwardIssue": {"key": w["key"]},
                                      "outwardIssue": {"key": w["other"]}}),
        ("POST", f"{AGILE}/sprint", {"name": "x", "originBoardId": int(w["board"])}),
        ("POST", f"{AGILE}/board", {"name": "x", "filterId": int(w["filter"]), "location": {
            "type": "project", "projectKeyOrId": "SEC"}}),
        ("PUT", f"{AGILE}/issue/rank", {"issues": [w["key"]], "rankBeforeIssue": w["other"]}),
        ("POST", f"{AGILE}/backlog/issue", {"issues": [w["key"]]}),
    ]
    for method, path, body in refused:
        response = client.request(method, path, json=body, headers=b)
        assert response.status_code in (400, 404), (method, path, response.status_code, response.text)
        assert "Secret" not in response.text
    searched = ok(client.post(f"{API}/search", json={"jql": "text ~ secret"}, headers=b))
    assert searched["total"] == 0
    assert ok(client.get(f"{AGILE}/board", headers=b))["values"] == []
    assert ok(client.get(f"{API}/filter/search", headers=b))["values"] == []
    assert ok(client.get(f"{API}/project", headers=b)) == []
    assert ok(client.get(f"{API}/user/search", params={"username": org.admin_email}, headers=b)) == []
    assert client.get(f"{API}/user", params={"username": org.admin_email}, headers=b).status_code == 404
    # Org A still has everything.
    assert ok(client.get(f"{API}/issue/{w['key']}", headers=org.headers))["fields"]["summary"] == "Secret plan"
