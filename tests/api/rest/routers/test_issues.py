"""The /v2 issue API end to end, on both backends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle

SEED_BODY = {
    "issue_type": "story",
    "summary": "Implement user authentication",
    "description": "As a user, I want to log in securely...",
    "priority": "high",
    "labels": ["authentication", "security"],
    "custom_fields": {"story_points": 8},
    "workflow_id": "workflow_default",
}


def create(client: TestClient, org: OrgHandle, project: dict, **fields: object) -> dict:
    body = {**SEED_BODY, "project_id": project["id"], "assignee_id": f"user_{org.admin_user_id}", **fields}
    response = client.post("/v2/issues", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_with_the_seed_body(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create(client, org, project)
    assert issue["key"] == "PROJ-1"
    assert issue["issue_type"]["name"] == "Story"
    assert issue["priority"]["name"] == "High"
    assert issue["status"] == {"id": issue["status"]["id"], "name": "To Do", "category": "todo",
                               "category_name": "To Do"}
    assert issue["labels"] == ["authentication", "security"]
    assert issue["custom_fields"]["story_points"] == 8
    assert issue["assignee"]["id"] == org.admin_user_id
    assert issue["reporter"]["id"] == org.admin_user_id
    assert issue["version"] == 1
    second = create(client, org, project, summary="Second")
    assert second["key"] == "PROJ-2"


def test_get_by_id_and_key(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create(client, org, project)
    by_id = client.get(f"/v2/issues/{issue['id']}", headers=org.headers)
    by_key = client.get("/v2/issues/proj-1", headers=org.headers)
    assert by_id.status_code == by_key.status_code == 200
    assert by_id.json()["id"] == by_key.json()["id"] == issue["id"]
    assert by_id.headers["etag"] == f'W/"{issue["id"]}-1"'


def test_update_records_history_and_bumps_version(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create(client, org, project)
    response = client.put(f"/v2/issues/{issue['id']}", headers=org.headers, json={
        "summary": "Log in with SSO", "priority": "low", "labels": ["security"],
        "custom_fields": {"story_points": 5}, "assignee_id": None, "version": 1})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["version"] == 2
    assert updated["assignee"] is None
    changelog = client.get(f"/v2/issues/{issue['id']}?expand=changelog", headers=org.headers).json()["changelog"]
    assert len(changelog) == 1
    items = {item["field"]: item for item in changelog[0]["items"]}
    assert items["summary"]["from_string"] == "Implement user authentication"
    assert items["summary"]["to_string"] == "Log in with SSO"
    assert items["priority"]["from_string"] == "High" and items["priority"]["to_string"] == "Low"
    assert items["labels"]["from_string"] == "authentication security"
    assert items["Story Points"]["from_string"] == "8" and items["Story Points"]["to_string"] == "5"
    assert items["assignee"]["to"] is None
    assert changelog[0]["author"]["id"] == org.admin_user_id


def test_stale_version_conflicts_and_changes_nothing(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create(client, org, project)
    assert client.put(f"/v2/issues/{issue['id']}", json={"summary": "First", "version": 1},
                      headers=org.headers).status_code == 200
    stale = client.put(f"/v2/issues/{issue['id']}", json={"summary": "Second", "version": 1}, headers=org.headers)
    assert stale.status_code == 409
    assert stale.json()["error"]["current_version"] == 2
    assert stale.json()["error"]["conflicting_fields"] == ["summary"]
    etag_stale = client.put(f"/v2/issues/{issue['id']}", json={"summary": "Third"},
                            headers={**org.headers, "If-Match": f'W/"{issue["id"]}-1"'})
    assert etag_stale.status_code == 412
    current = client.get(f"/v2/issues/{issue['id']}", headers=org.headers).json()
    assert current["summary"] == "First" and current["version"] == 2


def test_no_op_update_keeps_version(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create(client, org, project)
    response = client.put(f"/v2/issues/{issue['id']}", json={"summary": issue["summary"]}, headers=org.headers)
    assert response.json()["version"] == 1


def test_status_is_not_editable(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create(client, org, project)
    response = client.put(f"/v2/issues/{issue['id']}", json={"status": "Done"}, headers=org.headers)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "status"


def test_transition_sets_and_clears_resolution(client: TestClient, org: OrgHandle, project: dict) -> None:
    issue = create(client, org, project)
    url = f"/v2/issues/{issue['id']}/transitions"
    names = [t["name"] for t in client.get(url, headers=org.headers).json()["transitions"]]
    assert names == ["In Progress", "Done", "In Review", "Won't Do"]  # every other status, by its name
    assert client.post(f"{url}/21", headers=org.headers).status_code == 200
    done = client.post(f"{url}/31", json={"fields": {"resolution": "Fixed"}, "comment": "Shipped"},
                       headers=org.headers).json()
    assert done["status"]["category"] == "done"
    assert done["resolution"]["name"] == "Fixed" and done["resolved"] is not None
    reopened = client.post(f"{url}/11", headers=org.headers).json()
    assert reopened["resolution"] is None and reopened["resolved"] is None
    unavailable = client.post(f"{url}/11", headers=org.headers)  # already To Do
    assert unavailable.status_code == 409
    comments = client.get(f"/v2/issues/{issue['id']}/comments", headers=org.headers).json()
    assert [c["body"] for c in comments["comments"]] == ["Shipped"]


def test_subtasks_epics_and_delete(client: TestClient, org: OrgHandle, project: dict) -> None:
    epic = create(client, org, project, issue_type="Epic", summary="Auth epic")
    story = create(client, org, project, parent_id=epic["key"])
    assert story["parent"]["key"] == epic["key"]
    sub = create(client, org, project, issue_type="sub-task", parent_id=story["id"], summary="Write tests")
    assert sub["parent"]["id"] == story["id"]
    bad = client.post("/v2/issues", headers=org.headers, json={
        "project_id": project["id"], "issue_type": "Sub-task", "summary": "orphan"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "parent_id"
    bad_parent = client.post("/v2/issues", headers=org.headers, json={
        "project_id": project["id"], "issue_type": "Story", "summary": "x", "parent_id": story["key"]})
    assert bad_parent.status_code == 400
    refused = client.delete(f"/v2/issues/{story['id']}", headers=org.headers)
    assert refused.status_code == 400
    assert client.delete(f"/v2/issues/{story['id']}?delete_subtasks=true", headers=org.headers).status_code == 204
    assert client.get(f"/v2/issues/{sub['id']}", headers=org.headers).status_code == 404
    assert client.get(f"/v2/issues/{epic['id']}", headers=org.headers).json()["subtasks"] == []


def test_links(client: TestClient, org: OrgHandle, project: dict) -> None:
    first, second = create(client, org, project), create(client, org, project, summary="Other")
    response = client.post("/v2/issue-links", json={"type": "blocks", "outward_issue": first["key"],
                                                    "inward_issue": second["key"]}, headers=org.headers)
    assert response.status_code == 201, response.text
    duplicate = client.post("/v2/issue-links", json={"type": "Blocks", "outward_issue": first["key"],
                                                     "inward_issue": second["key"]}, headers=org.headers)
    assert duplicate.status_code == 409
    links = client.get(f"/v2/issues/{second['id']}", headers=org.headers).json()["links"]
    assert links[0]["relation"] == "is blocked by" and links[0]["issue"]["key"] == first["key"]
    history = client.get(f"/v2/issues/{first['id']}/changelog", headers=org.headers).json()["histories"]
    assert history[-1]["items"][0]["to_string"] == f"This issue blocks {second['key']}"
    assert client.delete(f"/v2/issue-links/{response.json()['id']}", headers=org.headers).status_code == 204
    assert client.get(f"/v2/issues/{second['id']}", headers=org.headers).json()["links"] == []


def test_a_search_page_shows_each_link_on_both_ends_and_sub_tasks_under_their_parent(
        client: TestClient, org: OrgHandle, project: dict) -> None:
    """Both ends of a link and a parent with its sub-tasks on one page: each issue gets its own."""
    first, second = create(client, org, project), create(client, org, project, summary="Other")
    subs = [create(client, org, project, issue_type="sub-task", parent_id=first["id"], summary=f"Step {n}")
            for n in (1, 2)]
    for outward, inward in ((first, second), (second, subs[0])):
        response = client.post("/v2/issue-links", json={"type": "blocks", "outward_issue": outward["key"],
                                                        "inward_issue": inward["key"]}, headers=org.headers)
        assert response.status_code == 201, response.text
    found = client.post("/v2/search", json={"jql": f"project = {project['key']} ORDER BY key ASC",
                                            "fields": ["links", "subtasks"]}, headers=org.headers)
    assert found.status_code == 200, found.text
    views = {issue["key"]: issue for issue in found.json()["issues"]}
    assert len(views) == 4

    def links(key: str) -> list[tuple[str, str]]:
        return [(link["relation"], link["issue"]["key"]) for link in views[key]["links"]]

    assert links(first["key"]) == [("blocks", second["key"])]
    assert links(second["key"]) == [("is blocked by", first["key"]), ("blocks", subs[0]["key"])]
    assert links(subs[0]["key"]) == [("is blocked by", second["key"])]
    assert links(subs[1]["key"]) == []
    assert [s["key"] for s in views[first["key"]]["subtasks"]] == [s["key"] for s in subs]
    assert all(views[key]["subtasks"] == [] for key in views if key != first["key"])


def test_components_versions_and_custom_fields(client: TestClient, org: OrgHandle, project: dict) -> None:
    component = client.post(f"/v2/projects/{project['id']}/components", json={"name": "Backend"},
                            headers=org.headers).json()
    version = client.post(f"/v2/projects/{project['key']}/versions", json={"name": "1.0",
                                                                          "release_date": "2026-12-31"},
                          headers=org.headers).json()
    field = client.post("/v2/fields", json={"name": "Severity", "field_type": "select",
                                            "options": ["S1", "S2", "S3"]}, headers=org.headers)
    assert field.status_code == 201, field.text
    due = client.post("/v2/fields", json={"name": "Target date", "field_type": "date"}, headers=org.headers).json()
    issue = create(client, org, project, components=["backend"], fix_versions=[version["id"]],
                   custom_fields={"severity": "s2", due["id"]: "2027-01-15", "story_points": 3.5})
    assert issue["components"] == [{"id": component["id"], "name": "Backend"}]
    assert issue["fix_versions"][0]["name"] == "1.0"
    assert issue["custom_fields"]["severity"]["value"] == "S2"
    assert issue["custom_fields"]["target_date"] == "2027-01-15"
    assert issue["custom_fields"]["story_points"] == 3.5
    wrong = client.post("/v2/issues", headers=org.headers, json={
        "project_id": project["id"], "issue_type": "Bug", "summary": "x", "custom_fields": {"severity": "S9"}})
    assert wrong.status_code == 400 and wrong.json()["error"]["field"] == "custom_fields.severity"


def test_bad_input_is_a_clear_4xx(client: TestClient, org: OrgHandle, project: dict) -> None:
    base = {"project_id": project["id"], "issue_type": "Bug", "summary": "ok"}
    cases = [
        ({**base, "summary": 12}, 422, "summary"),
        ({**base, "summary": ""}, 422, "summary"),
        ({k: v for k, v in base.items() if k != "summary"}, 422, "summary"),
        ({**base, "unknown": 1}, 422, "unknown"),
        ({**base, "project_id": "NOPE"}, 400, "project_id"),
        ({**base, "priority": "urgent"}, 400, "priority"),
        ({**base, "assignee_id": 987654321}, 400, "assignee_id"),
        ({**base, "labels": ["has space"]}, 400, "labels"),
        ({**base, "custom_fields": {"story_points": "lots"}}, 400, "custom_fields.story_points"),
        ({**base, "due_date": "tomorrow"}, 422, "due_date"),
    ]
    for body, status, field in cases:
        response = client.post("/v2/issues", json=body, headers=org.headers)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["field"] == field, (body, response.json())
    huge = client.post("/v2/issues", json={**base, "summary": "x" * 10_000_000}, headers=org.headers)
    assert huge.status_code == 413
    malformed = client.post("/v2/issues", content=b'{"summary": ', headers={**org.headers,
                                                                          "content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
    listing = client.get(f"/v2/projects/{project['id']}", headers=org.headers).json()
    assert listing["issue_count_estimate"] == 0


def test_links_and_subtasks_of_issues_read_together_come_once_each(client: TestClient, org: OrgHandle,
                                                                   project: dict) -> None:
    """The views read links by source and by target in separate branches: a link between two
    issues of the same page must still show once on each, in its own direction."""
    first, second, third = (create(client, org, project, summary=name) for name in ("First", "Second", "Third"))
    for outward, inward in ((first, second), (second, third), (third, first)):
        assert client.post("/v2/issue-links", json={"type": "blocks", "outward_issue": outward["key"],
                                                    "inward_issue": inward["key"]}, headers=org.headers).status_code == 201
    sub = create(client, org, project, issue_type="sub-task", parent_id=first["id"], summary="Part")
    page = client.get("/v2/search", params={"jql": f"project = {project['key']} ORDER BY key"}, headers=org.headers)
    assert page.status_code == 200, page.text
    shown = {issue["key"]: issue for issue in page.json()["issues"]}
    assert set(shown) == {first["key"], second["key"], third["key"], sub["key"]}

    def links(issue: dict) -> list[tuple[str, str]]:
        return sorted((link["direction"], link["issue"]["key"]) for link in shown[issue["key"]]["links"])

    assert links(first) == [("inward", third["key"]), ("outward", second["key"])]
    assert links(second) == [("inward", first["key"]), ("outward", third["key"])]
    assert links(third) == [("inward", second["key"]), ("outward", first["key"])]
    assert [s["key"] for s in shown[first["key"]]["subtasks"]] == [sub["key"]]
    assert shown[sub["key"]]["parent"]["key"] == first["key"] and shown[sub["key"]]["links"] == []
