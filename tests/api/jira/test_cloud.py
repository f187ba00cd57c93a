"""Jira Cloud's REST v3 (/rest/api/3): the same operations as /rest/api/2 in Cloud's dialect
(users by accountId only, rich text as Atlassian Document Format), the Cloud-only pages
(PageBeans, the enhanced search with nextPageToken), and tenancy across all of them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import OrgHandle, UserHandle

V3 = "/rest/api/3"
V2 = "/rest/api/2"


def doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


def heading(text: str, level: int = 2) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": level}, "content": [{"type": "text", "text": text}]}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@pytest.fixture
def web(client: TestClient, org: OrgHandle) -> dict:
    return ok(client.post("/v2/projects", json={"key": "WEB", "name": "Web shop"}, headers=org.headers), 201)


def _create(client: TestClient, org: OrgHandle, summary: str, **fields: Any) -> dict:
    body = {"fields": {"project": {"key": "WEB"}, "issuetype": {"name": "Task"}, "summary": summary, **fields}}
    return ok(client.post(f"{V3}/issue", json=body, headers=org.headers), 201)


def test_server_info_and_users_speak_cloud(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    cloud, server = ok(client.get(f"{V3}/serverInfo")), ok(client.get(f"{V2}/serverInfo"))
    assert cloud["deploymentType"] == "Cloud" and server["deploymentType"] == "Server"
    me = ok(client.get(f"{V3}/myself", headers=org.headers))
    assert me["accountId"] == str(org.admin_user_id) and me["accountType"] == "atlassian"
    assert "name" not in me and "key" not in me
    assert me["self"] == f"http://testserver{V3}/user?accountId={org.admin_user_id}"
    assert ok(client.get(f"{V2}/myself", headers=org.headers))["name"] == org.admin_email  # v2 unchanged

    account = str(member.user_id)
    assert ok(client.get(f"{V3}/user", params={"accountId": account}, headers=org.headers))["emailAddress"] == \
        member.email
    found = ok(client.get(f"{V3}/user/search", params={"query": member.email[:6]}, headers=org.headers))
    assert account in [user["accountId"] for user in found]
    # The `jira` client resolves an accountId through the search before assigning or watching.
    assert [u["accountId"] for u in ok(client.get(f"{V3}/user/search", params={"query": account},
                                                  headers=org.headers))][0] == account
    bulk = ok(client.get(f"{V3}/user/bulk", params=[("accountId", account), ("accountId", str(org.admin_user_id)),
                                                    ("accountId", "999999999"), ("maxResults", "1")],
                         headers=org.headers))
    assert bulk["total"] == 2 and bulk["isLast"] is False and [u["accountId"] for u in bulk["values"]] == [account]
    assert "startAt=1" in bulk["nextPage"]


def test_rich_text_is_adf_in_and_out(client: TestClient, org: OrgHandle, web: dict) -> None:
    ok(client.post("/v2/fields", json={"name": "Root cause", "field_type": "text"}, headers=org.headers), 201)
    fields = ok(client.get(f"{V3}/field/search", params={"type": "custom", "query": "root"}, headers=org.headers))
    [root_cause] = [f["id"] for f in fields["values"]]
    description = doc(heading("Steps"), paragraph("Open the cart."))
    created = _create(client, org, "Cart breaks", description=description, **{root_cause: doc(paragraph("Cache"))})
    assert created["self"] == f"http://testserver{V3}/issue/{created['id']}"
    issue = ok(client.get(f"{V3}/issue/{created['key']}", headers=org.headers))
    assert issue["fields"]["description"] == description and issue["fields"][root_cause] == doc(paragraph("Cache"))
    server = ok(client.get(f"{V2}/issue/{created['key']}", headers=org.headers))["fields"]
    assert server["description"] == "## Steps\n\nOpen the cart." and server[root_cause] == "Cache"

    # Edit, with `fields` and with `update`; a plain string is taken as Markdown, as v2 takes it.
    ok(client.put(f"{V3}/issue/{created['key']}", json={"update": {"description": [{"set": doc(paragraph("New"))}]}},
                  headers=org.headers), 204)
    assert ok(client.get(f"{V2}/issue/{created['key']}", headers=org.headers))["fields"]["description"] == "New"
    ok(client.put(f"{V3}/issue/{created['key']}", json={"fields": {"description": "Plain *text*"}},
                  headers=org.headers), 204)
    assert ok(client.get(f"{V2}/issue/{created['key']}", headers=org.headers))["fields"]["description"] == \
        "Plain *text*"
    bad = client.put(f"{V3}/issue/{created['key']}", json={"fields": {"description": {"type": "paragraph"}}},
                     headers=org.headers)
    assert bad.status_code == 400 and "Atlassian Document" in bad.json()["errors"]["description"], bad.text

    comment = ok(client.post(f"{V3}/issue/{created['key']}/comment", json={"body": doc(paragraph("Seen it."))},
                             headers=org.headers), 201)
    assert comment["body"] == doc(paragraph("Seen it.")) and comment["author"]["accountId"] == str(org.admin_user_id)
    assert "name" not in comment["author"]
    assert ok(client.get(f"{V2}/issue/{created['key']}/comment/{comment['id']}", headers=org.headers))["body"] == \
        "Seen it."
    bad = client.post(f"{V3}/issue/{created['key']}/comment", json={"body": {"type": "doc", "content": "x"}},
                      headers=org.headers)
    assert bad.status_code == 400 and "body" in bad.json()["errors"], bad.text
    worklog = ok(client.post(f"{V3}/issue/{created['key']}/worklog",
                             json={"timeSpent": "1h", "comment": doc(paragraph("Debugging"))}, headers=org.headers), 201)
    assert worklog["comment"] == doc(paragraph("Debugging"))
    # A comment added by a transition, in ADF.
    transitions = ok(client.get(f"{V3}/issue/{created['key']}/transitions", headers=org.headers))["transitions"]
    ok(client.post(f"{V3}/issue/{created['key']}/transitions", json={
        "transition": {"id": transitions[0]["id"]},
        "update": {"comment": [{"add": {"body": doc(paragraph("Moving on."))}}]}}, headers=org.headers), 204)
    bodies = [c["body"] for c in ok(client.get(f"{V2}/issue/{created['key']}/comment",
                                               headers=org.headers))["comments"]]
    assert bodies == ["Seen it.", "Moving on."]


def test_a_transition_screens_rich_text_field_takes_adf(client: TestClient, org: OrgHandle, web: dict) -> None:
    """A text custom field on a transition's screen, set in the transition's `fields`: a Cloud
    client sends it as ADF, and it is stored as Markdown, as on create and edit."""
    field = ok(client.post("/v2/fields", json={"name": "Fix notes", "field_type": "text"}, headers=org.headers), 201)
    workflow = ok(client.get("/v2/workflows/default", headers=org.headers))
    definition = workflow["definition"]
    done = next(t for t in definition["transitions"] if t["to"] == "Done")
    done["screen"] = [*done.get("screen", []), field["key"]]
    ok(client.put("/v2/workflows/default", json=definition, headers=org.headers))
    ok(client.post("/v2/workflows/default/publish", json={}, headers=org.headers))
    [notes] = [f["id"] for f in ok(client.get(f"{V3}/field/search", params={"type": "custom", "query": "fix notes"},
                                              headers=org.headers))["values"]]
    created = _create(client, org, "Refunds double-count")
    transitions = ok(client.get(f"{V3}/issue/{created['key']}/transitions", headers=org.headers))["transitions"]
    to_done = next(t for t in transitions if t["to"]["name"] == "Done")
    ok(client.post(f"{V3}/issue/{created['key']}/transitions", json={
        "transition": {"id": to_done["id"]}, "fields": {notes: doc(heading("Cause"), paragraph("Rounding."))}},
        headers=org.headers), 204)
    server = ok(client.get(f"{V2}/issue/{created['key']}", headers=org.headers))["fields"]
    assert server[notes] == "## Cause\n\nRounding." and server["status"]["name"] == "Done"


def test_people_by_account_id(client: TestClient, org: OrgHandle, member: UserHandle, web: dict) -> None:
    created = _create(client, org, "Assign me", assignee={"accountId": str(org.admin_user_id)})
    key = created["key"]
    ok(client.put(f"{V3}/issue/{key}/assignee", json={"accountId": str(member.user_id)}, headers=org.headers), 204)
    assignee = ok(client.get(f"{V3}/issue/{key}", headers=org.headers))["fields"]["assignee"]
    assert assignee["accountId"] == str(member.user_id) and "name" not in assignee
    ok(client.post(f"{V3}/issue/{key}/watchers", json=str(member.user_id), headers=org.headers), 204)
    watchers = ok(client.get(f"{V3}/issue/{key}/watchers", headers=org.headers))
    assert sorted(w["accountId"] for w in watchers["watchers"]) == sorted([str(org.admin_user_id),
                                                                           str(member.user_id)])
    ok(client.delete(f"{V3}/issue/{key}/watchers", params={"accountId": str(member.user_id)}, headers=org.headers),
       204)
    assert [w["accountId"] for w in ok(client.get(f"{V3}/issue/{key}/watchers", headers=org.headers))["watchers"]] \
        == [str(org.admin_user_id)]
    missing = client.put(f"{V3}/issue/{key}/assignee", json={"accountId": "999999999"}, headers=org.headers)
    assert missing.status_code == 400 and "assignee" in missing.json()["errors"], missing.text


def test_pages_of_projects_fields_and_changelog(client: TestClient, org: OrgHandle, web: dict) -> None:
    ok(client.post("/v2/projects", json={"key": "APP", "name": "Mobile app"}, headers=org.headers), 201)
    first = ok(client.get(f"{V3}/project/search", params={"maxResults": 1}, headers=org.headers))
    assert first["total"] == 2 and first["isLast"] is False and [p["key"] for p in first["values"]] == ["APP"]
    second = ok(client.get(first["nextPage"].removeprefix("http://testserver"), headers=org.headers))
    assert [p["key"] for p in second["values"]] == ["WEB"] and second["isLast"] is True and "nextPage" not in second
    named = ok(client.get(f"{V3}/project/search", params={"query": "shop", "expand": "lead"}, headers=org.headers))
    assert [p["key"] for p in named["values"]] == ["WEB"] and "lead" in named["values"][0]
    by_name = ok(client.get(f"{V3}/project/search", params={"orderBy": "-name"}, headers=org.headers))
    assert [p["key"] for p in by_name["values"]] == ["WEB", "APP"]
    assert client.get(f"{V3}/project/search", params={"orderBy": "colour"}, headers=org.headers).status_code == 400

    system = ok(client.get(f"{V3}/field/search", params={"type": "system", "maxResults": 200}, headers=org.headers))
    assert "summary" in {f["id"] for f in system["values"]} and not any(f["custom"] for f in system["values"])

    key = _create(client, org, "Changing")["key"]
    for summary in ("Changed once", "Changed twice", "Changed thrice"):
        ok(client.put(f"{V3}/issue/{key}", json={"fields": {"summary": summary}}, headers=org.headers), 204)
    page = ok(client.get(f"{V3}/issue/{key}/changelog", params={"maxResults": 2}, headers=org.headers))
    assert page["total"] >= 3 and page["isLast"] is False and len(page["values"]) == 2
    rest = ok(client.get(f"{V3}/issue/{key}/changelog", params={"startAt": page["total"] - 1}, headers=org.headers))
    assert rest["isLast"] is True and rest["values"][-1]["items"][0]["toString"] == "Changed thrice"
    assert "name" not in rest["values"][-1]["author"]


def test_enhanced_search_pages_with_signed_tokens(client: TestClient, org: OrgHandle, web: dict) -> None:
    keys = [_create(client, org, f"Searchable {n}", description=doc(paragraph(f"Body {n}")))["key"]
            for n in range(3)]
    jql = "project = WEB ORDER BY key ASC"
    first = ok(client.get(f"{V3}/search/jql", params={"jql": jql, "maxResults": 2, "fields": "summary,description"},
                          headers=org.headers))
    assert set(first) == {"issues", "nextPageToken", "isLast"} and first["isLast"] is False
    assert [i["key"] for i in first["issues"]] == keys[:2]
    assert first["issues"][0]["fields"]["description"] == doc(paragraph("Body 0"))
    second = ok(client.post(f"{V3}/search/jql", json={"jql": jql, "maxResults": 2, "fields": ["summary"],
                                                      "nextPageToken": first["nextPageToken"], "expand": None,
                                                      "reconcileIssues": []}, headers=org.headers))
    assert [i["key"] for i in second["issues"]] == keys[2:] and second["isLast"] is True
    assert "nextPageToken" not in second
    # Fields default to the id alone; v2's enhanced search writes Server's strings.
    bare = ok(client.get(f"{V3}/search/jql", params={"jql": jql}, headers=org.headers))
    assert bare["issues"][0]["fields"] == {} and bare["issues"][0]["key"] == keys[0]
    server = ok(client.get(f"{V2}/search/jql", params={"jql": jql, "fields": "description"}, headers=org.headers))
    assert server["issues"][0]["fields"]["description"] == "Body 0"

    token = first["nextPageToken"]
    for params in ({"jql": jql, "nextPageToken": token[:-2] + "xx"},  # altered
                   {"jql": "project = WEB ORDER BY key DESC", "nextPageToken": token}):  # another query
        refused = client.get(f"{V3}/search/jql", params=params, headers=org.headers)
        assert refused.status_code == 400 and "nextPageToken" in refused.json()["errors"], refused.text
    for unbounded in ("", "ORDER BY key"):
        refused = client.post(f"{V3}/search/jql", json={"jql": unbounded}, headers=org.headers)
        assert refused.status_code == 400 and "Unbounded" in refused.json()["errorMessages"][0], refused.text
    assert ok(client.post(f"{V3}/search/approximate-count", json={"jql": "project = WEB"},
                          headers=org.headers)) == {"count": 3}
    # The old search still answers on v3, with startAt and a total.
    assert ok(client.get(f"{V3}/search", params={"jql": jql}, headers=org.headers))["total"] == 3

    picked = ok(client.get(f"{V3}/issue/picker", params={"query": "searchable", "currentJQL": "project = WEB",
                                                         "currentIssueKey": keys[0]}, headers=org.headers))
    history, current = picked["sections"]
    assert sorted(i["key"] for i in history["issues"]) == keys[1:] and isinstance(history["issues"][0]["id"], int)
    assert "<b>Searchable</b>" in history["issues"][0]["summary"]
    assert current["id"] == "cs" and sorted(i["key"] for i in current["issues"]) == keys[1:]
    by_key = ok(client.get(f"{V3}/issue/picker", params={"query": keys[2].lower()}, headers=org.headers))
    assert [i["key"] for i in by_key["sections"][0]["issues"]] == [keys[2]]


def test_nothing_crosses_organizations(client: TestClient, org: OrgHandle, other_org: OrgHandle,
                                       member: UserHandle, web: dict) -> None:
    key = _create(client, org, "Private matter")["key"]
    _create(client, org, "Private matter too")
    first = ok(client.get(f"{V3}/search/jql", params={"jql": "summary ~ private", "maxResults": 1},
                          headers=org.headers))
    stolen = client.get(f"{V3}/search/jql", params={"jql": "summary ~ private", "nextPageToken":
                                                    first["nextPageToken"]}, headers=other_org.headers)
    assert stolen.status_code == 400, stolen.text
    outsider = other_org.headers
    assert ok(client.get(f"{V3}/user/bulk", params={"accountId": str(member.user_id)}, headers=outsider))["total"] == 0
    assert str(member.user_id) not in [u["accountId"] for u in ok(client.get(
        f"{V3}/user/search", params={"query": str(member.user_id)}, headers=outsider))]
    assert client.get(f"{V3}/user", params={"accountId": str(member.user_id)}, headers=outsider).status_code == 404
    assert client.get(f"{V3}/issue/{key}/changelog", headers=outsider).status_code == 404
    assert ok(client.get(f"{V3}/project/search", headers=outsider))["total"] == 0
    picked = ok(client.get(f"{V3}/issue/picker", params={"query": "private"}, headers=outsider))
    assert picked["sections"][0]["issues"] == []
    assert ok(client.post(f"{V3}/search/approximate-count", json={"jql": "summary ~ private"},
                          headers=outsider)) == {"count": 0}
    own = ok(client.post("/v2/projects", json={"key": "OWN", "name": "Own"}, headers=outsider), 201)
    assert own["key"] == "OWN"
    other_key = ok(client.post(f"{V3}/issue", json={"fields": {"project": {"key": "OWN"}, "issuetype": {"name": "Task"},
                                                               "summary": "Mine"}}, headers=outsider), 201)["key"]
    refused = client.put(f"{V3}/issue/{other_key}/assignee", json={"accountId": str(member.user_id)}, headers=outsider)
    assert refused.status_code == 400, refused.text


def test_project_role_actors_are_named_as_each_dialect_names_people(client: TestClient, org: OrgHandle,
                                                                    member: UserHandle, web: dict) -> None:
    ok(client.put(f"/v2/projects/{web['id']}/roles/developers", json={"user_ids": [member.user_id]},
                  headers=org.headers))
    [cloud] = ok(client.get(f"{V3}/project/WEB/role/10001", headers=org.headers))["actors"]
    assert cloud["actorUser"] == {"accountId": str(member.user_id)} and "name" not in cloud
    [server] = ok(client.get(f"{V2}/project/WEB/role/10001", headers=org.headers))["actors"]
    assert server["name"] == member.email and "actorUser" not in server
