"""Plain HTTP requests as Jira Server's REST documentation writes them (the curl examples of
"JIRA REST API Example - Create Issue", "Edit issues", "Query issues", "Add comment",
"Transition"), and the error shapes around them."""

from __future__ import annotations

import httpx

from tests.support import OrgHandle, UserHandle


def test_documented_examples(rest: httpx.Client, project: dict, member: UserHandle) -> None:
    # curl -u fred:fred -X POST --data '...' -H "Content-Type: application/json" http://localhost:8080/rest/api/2/issue/
    created = rest.post("/rest/api/2/issue/", json={"fields": {
        "project": {"key": "WEB"}, "summary": "REST ye merry gentlemen.",
        "description": "Creating of an issue using project keys and issue type names using the REST API",
        "issuetype": {"name": "Bug"}}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "key", "self"} and body["key"] == "WEB-1"
    assert body["self"] == f"{rest.base_url}/rest/api/2/issue/{body['id']}"

    edited = rest.put("/rest/api/2/issue/WEB-1", json={"update": {"labels": [{"add": "triaged"}]},
                                                       "fields": {"assignee": {"name": member.email}}})
    assert edited.status_code == 204 and edited.content == b""
    commented = rest.post("/rest/api/2/issue/WEB-1/comment",
                          json={"body": "This is a comment regarding the quality of the response."})
    assert commented.status_code == 201 and commented.json()["body"].startswith("This is a comment")

    # curl -u fred:fred -X POST -H "Content-Type: application/json"
    #   --data '{"jql":"project = QA","startAt":0,"maxResults":2,"fields":["id","key"]}' .../rest/api/2/search
    found = rest.post("/rest/api/2/search", json={"jql": "project = WEB", "startAt": 0, "maxResults": 2,
                                                  "fields": ["id", "key"]})
    assert found.status_code == 200
    page = found.json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (0, 2, 1)
    assert [(i["key"], i["fields"]) for i in page["issues"]] == [("WEB-1", {})]
    listed = rest.get("/rest/api/2/search", params={"jql": "assignee = currentUser()", "fields": "summary"})
    assert listed.json()["total"] == 0

    transitions = rest.get("/rest/api/2/issue/WEB-1/transitions", params={"expand": "transitions.fields"}).json()
    start = next(t for t in transitions["transitions"] if t["name"] == "In Progress")
    moved = rest.post("/rest/api/2/issue/WEB-1/transitions", json={
        "update": {"comment": [{"add": {"body": "Bug has been picked up."}}]}, "transition": {"id": start["id"]}})
    assert moved.status_code == 204
    issue = rest.get("/rest/api/latest/issue/WEB-1", params={"fields": "status,labels,assignee,comment"}).json()
    assert issue["fields"]["status"]["name"] == "In Progress" and issue["fields"]["labels"] == ["triaged"]
    assert issue["fields"]["assignee"]["name"] == member.email
    assert [c["body"] for c in issue["fields"]["comment"]["comments"]] == [
        "This is a comment regarding the quality of the response.", "Bug has been picked up."]


def test_error_shapes(jira_url: str, rest: httpx.Client, org: OrgHandle, project: dict) -> None:
    anonymous = httpx.get(f"{jira_url}/rest/api/2/myself")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"errorMessages": [
        "You are not authenticated. Authentication required to perform this operation."], "errors": {}}
    bearer = httpx.get(f"{jira_url}/rest/api/2/myself", headers={"Authorization": f"Bearer {org.token}"})
    assert bearer.status_code == 200 and bearer.json()["name"] == org.admin_email
    missing = rest.get("/rest/api/2/issue/WEB-999")
    assert missing.status_code == 404 and missing.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}
    unknown_path = rest.get("/rest/api/2/no/such/resource")
    assert unknown_path.status_code == 404 and set(unknown_path.json()) == {"errorMessages", "errors"}
    malformed = rest.post("/rest/api/2/issue", content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["errorMessages"]
    bad_jql = rest.get("/rest/api/2/search", params={"jql": 'summary ~ "unterminated'})
    assert bad_jql.status_code == 400
    assert bad_jql.json()["errorMessages"][0].startswith("Error in the JQL Query:")
    no_token = rest.post("/rest/api/2/issue/WEB-1/attachments", files={"file": ("a.txt", b"x")})
    assert no_token.status_code == 403 and "X-Atlassian-Token" in no_token.json()["errorMessages"][0]
    v2_still_native = rest.get("/v2/issues/WEB-999")
    assert v2_still_native.status_code == 404 and "error" in v2_still_native.json()


def test_legacy_createmeta_permissions_and_links_in_update(rest: httpx.Client, project: dict,
                                                           member: UserHandle) -> None:
    meta = rest.get("/rest/api/2/issue/createmeta", params={
        "projectKeys": "WEB", "issuetypeNames": "Bug", "expand": "projects.issuetypes.fields"}).json()
    [web] = meta["projects"]
    [bug] = web["issuetypes"]
    assert web["key"] == "WEB" and bug["name"] == "Bug"
    assert bug["fields"]["summary"]["required"] is True and bug["fields"]["project"]["required"] is True
    assert bug["fields"]["labels"]["operations"] == ["add", "set", "remove"]

    mine = rest.get("/rest/api/2/mypermissions", params={"projectKey": "WEB"}).json()["permissions"]
    assert mine["BROWSE_PROJECTS"]["havePermission"] is True and mine["ADMINISTER"]["type"] == "GLOBAL"
    member_view = httpx.get(f"{rest.base_url}/rest/api/2/mypermissions", params={"permissions": "DELETE_ISSUES"},
                            auth=(member.email, member.token)).json()["permissions"]
    assert member_view == {"DELETE_ISSUES": member_view["DELETE_ISSUES"]}
    assert member_view["DELETE_ISSUES"]["havePermission"] is False

    first = rest.post("/rest/api/2/issue", json={"fields": {"project": {"key": "WEB"}, "summary": "Outage",
                                                            "issuetype": {"name": "Bug"}}}).json()
    second = rest.post("/rest/api/2/issue", json={
        "fields": {"project": {"key": "WEB"}, "summary": "Status page", "issuetype": {"name": "Task"}},
        "update": {"issuelinks": [{"add": {"type": {"name": "Blocks"}, "inwardIssue": {"key": first["key"]}}}]}})
    assert second.status_code == 201, second.text
    links = rest.get(f"/rest/api/2/issue/{first['key']}", params={"fields": "issuelinks"}).json()
    [link] = links["fields"]["issuelinks"]
    assert link["type"]["name"] == "Blocks" and link["outwardIssue"]["key"] == second.json()["key"]
    automatic = rest.put(f"/rest/api/latest/issue/{first['key']}/assignee", json={"name": "-1"})
    assert automatic.status_code == 204  # Jira's "Automatic": the project lead
    assert rest.get(f"/rest/api/2/issue/{first['key']}").json()["fields"]["assignee"]["accountId"] == str(
        project["lead_id"])
