"""/v2/webhooks: an organization admin's CRUD, the secret shown once, lost updates, the test
action and the history; members are refused (403) and another organization's webhooks are
missing (404) on every route."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle, UserHandle, fetch_rows

URL = "https://receiver.example.test/tessera"


def create(client: TestClient, org: OrgHandle, **body: object) -> dict:
    response = client.post("/v2/webhooks", json={"name": "Ops", "url": URL, "events": ["jira:issue_created"],
                                                 **body}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_secret_is_shown_once_and_stored_encrypted(client: TestClient, org: OrgHandle, database_url: str) -> None:
    hook = create(client, org, secret="my-own-secret")
    assert hook["secret"] == "my-own-secret" and hook["signing_key_set"] is True
    shown = client.get(f"/v2/webhooks/{hook['id']}", headers=org.headers).json()
    assert "secret" not in shown and shown["signing_key_set"] is True
    [row] = fetch_rows(database_url, "SELECT secret_encrypted FROM webhooks WHERE id = :id", {"id": hook["id"]})
    assert "my-own-secret" not in row["secret_encrypted"]
    generated = create(client, org)
    assert len(generated["secret"]) >= 40 and generated["owner_id"] == org.admin_user_id


def test_list_patch_put_and_delete(client: TestClient, org: OrgHandle, project: dict) -> None:
    hook = create(client, org, jql="project = PROJ")
    assert [h["id"] for h in client.get("/v2/webhooks", headers=org.headers).json()["webhooks"]] == [hook["id"]]
    patched = client.patch(f"/v2/webhooks/{hook['id']}", json={"events": ["comment_created", "jira:issue_updated"],
                                                               "version": 1}, headers=org.headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["events"] == ["comment_created", "jira:issue_updated"] and patched.json()["version"] == 2
    stale = client.patch(f"/v2/webhooks/{hook['id']}", json={"name": "Lost", "version": 1}, headers=org.headers)
    assert stale.status_code == 409
    replaced = client.put(f"/v2/webhooks/{hook['id']}", json={"name": "Ops 2", "url": URL + "/2", "events": [],
                                                             "exclude_body": True}, headers=org.headers)
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["name"], replaced.json()["jql"], replaced.json()["exclude_body"]) == ("Ops 2", "", True)
    assert client.delete(f"/v2/webhooks/{hook['id']}", headers=org.headers).status_code == 204
    assert client.get(f"/v2/webhooks/{hook['id']}", headers=org.headers).status_code == 404


def test_bad_input_is_a_400_or_422_naming_the_field(client: TestClient, org: OrgHandle) -> None:
    cases = [({"url": "gopher://x.example.test"}, "url", 400), ({"url": "http://192.168.1.10/hook"}, "url", 400),
             ({"url": "http://[fe80::1]/hook"}, "url", 400), ({"events": ["nope"]}, "events", 400),
             ({"jql": "summary ~"}, "jql", 400), ({"events": "jira:issue_created"}, "events", 422),
             ({"enabled": "maybe"}, "enabled", 422), ({"secret": "x" * 300}, "secret", 422)]
    for body, field, status in cases:
        response = client.post("/v2/webhooks", json={"name": "Bad", "url": URL, "events": [], **body},
                               headers=org.headers)
        assert response.status_code == status, (body, response.text)
        assert field in response.text
    jql = client.post("/v2/webhooks", json={"name": "Bad", "url": URL, "events": [], "jql": "status = = x"},
                      headers=org.headers)
    error = jql.json()["error"]
    assert (error["code"], error["field"], error["line"], error["column"]) == ("jql_syntax", "jql", 1, 10)


def test_send_test_enqueues_a_delivery_listed_in_the_history(client: TestClient, org: OrgHandle) -> None:
    hook = create(client, org)
    queued = client.post(f"/v2/webhooks/{hook['id']}/test", headers=org.headers)
    assert queued.status_code == 202, queued.text
    assert queued.json()["state"] == "pending" and queued.json()["webhook_event"] == "webhook_test"
    history = client.get(f"/v2/webhooks/{hook['id']}/deliveries", headers=org.headers).json()
    assert [d["id"] for d in history["deliveries"]] == [queued.json()["id"]]


def test_members_are_refused(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    hook = create(client, org)
    for method, path in (("GET", "/v2/webhooks"), ("POST", "/v2/webhooks"), ("GET", f"/v2/webhooks/{hook['id']}"),
                         ("PATCH", f"/v2/webhooks/{hook['id']}"), ("DELETE", f"/v2/webhooks/{hook['id']}"),
                         ("POST", f"/v2/webhooks/{hook['id']}/test"),
                         ("GET", f"/v2/webhooks/{hook['id']}/deliveries")):
        body = {"name": "x", "url": URL, "events": []} if method in ("POST", "PATCH") else None
        response = client.request(method, path, json=body, headers=member.headers)
        assert response.status_code == 403, (method, path, response.text)


def test_another_organization_finds_nothing(client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    hook = create(client, org)
    client.post(f"/v2/webhooks/{hook['id']}/test", headers=org.headers)
    assert client.get("/v2/webhooks", headers=other_org.headers).json()["webhooks"] == []
    for method, path in (("GET", f"/v2/webhooks/{hook['id']}"), ("PATCH", f"/v2/webhooks/{hook['id']}"),
                         ("PUT", f"/v2/webhooks/{hook['id']}"), ("DELETE", f"/v2/webhooks/{hook['id']}"),
                         ("POST", f"/v2/webhooks/{hook['id']}/test"),
                         ("GET", f"/v2/webhooks/{hook['id']}/deliveries")):
        body = {"name": "x", "url": URL, "events": []} if method in ("PUT", "PATCH") else None
        response = client.request(method, path, json=body, headers=other_org.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert URL not in response.text
    assert client.get(f"/v2/webhooks/{hook['id']}", headers=org.headers).json()["name"] == "Ops"


def test_the_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/v2/openapi.json").json()["paths"]
    assert {"/v2/webhooks", "/v2/webhooks/{webhook_id}", "/v2/webhooks/{webhook_id}/test",
            "/v2/webhooks/{webhook_id}/deliveries"} <= set(paths)
