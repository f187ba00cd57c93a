"""/v2/audit and /admin/audit through the app: data changes recorded from their domain events
with the request's actor, token, address, user agent and request id; explicit records of
sign-ins (success and failure, the client's answer the same for unknown users), tokens,
webhooks (secrets redacted) and CSV exports; filters and paging; administrators only, and
never another organization's records."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories.web import open_session, sign_in_as
from tests.support import OrgHandle, make_org, make_user


def audit(client: TestClient, org: OrgHandle, **params: object) -> dict:
    response = client.get("/v2/audit", params=params, headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_changes_are_recorded_with_who_and_where(client: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                 project: dict) -> None:
    created = client.post("/v2/issues", headers={**org.headers, "User-Agent": "audit-test/1", "X-Request-Id": "req-1"},
                          json={"project_id": project["id"], "issue_type": "Task", "summary": "Disk alert"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    updated = client.put(f"/v2/issues/{key}", headers=org.headers, json={"summary": "Disk full"})
    assert updated.status_code == 200, updated.text

    page = audit(client, org, object_key=key)
    assert [r["action"] for r in page["records"]] == ["issue.updated", "issue.created"]  # newest first
    first = page["records"][1]
    assert first["actor"]["user_id"] == org.admin_user_id and first["actor"]["token_id"] is not None
    assert first["actor"]["ip"] == "testclient" and first["actor"]["user_agent"] == "audit-test/1"
    assert first["request_id"] == "req-1"
    assert first["object"] == {"type": "issue", "id": created.json()["id"], "key": key}
    change = page["records"][0]["changes"]["field_changes"]["summary"]
    assert change["from"] == "Disk alert" and change["to"] == "Disk full"
    assert page["records"][0]["previous_hash"] == first["hash"] or page["records"][0]["sequence"] > first["sequence"]

    # Filters: an exact action, a prefix, an actor; another organization sees none of it.
    assert [r["action"] for r in audit(client, org, action="issue.created")["records"]] == ["issue.created"]
    assert {r["action"] for r in audit(client, org, action="issue.")["records"]} >= {"issue.created", "issue.updated"}
    assert audit(client, org, actor=999_999)["records"] == []
    assert audit(client, other_org, object_key=key)["records"] == []
    assert all(r["object"]["key"] != key for r in audit(client, other_org, limit=200)["records"])


def test_paging_newest_first_and_bad_input(client: TestClient, org: OrgHandle, project: dict) -> None:
    for number in range(3):
        client.post("/v2/issues", headers=org.headers,
                    json={"project_id": project["id"], "issue_type": "Task", "summary": f"Issue {number}"})
    first = audit(client, org, limit=2)
    second = audit(client, org, limit=2, cursor=first["next_cursor"])
    sequences = [r["sequence"] for r in first["records"] + second["records"]]
    assert sequences == sorted(sequences, reverse=True) and len(set(sequences)) == 4
    bad = client.get("/v2/audit", params={"cursor": "nonsense"}, headers=org.headers)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "cursor"
    backwards = client.get("/v2/audit", params={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
                           headers=org.headers)
    assert backwards.status_code == 400 and backwards.json()["error"]["field"] == "since"


def test_only_organization_admins_read_the_log(client: TestClient, database_url: str, org: OrgHandle) -> None:
    member = make_user(database_url, org, role="member")
    refused = client.get("/v2/audit", headers=member.headers)
    assert refused.status_code == 403
    assert "administrator" in refused.json()["error"]["message"]


def test_security_actions_are_recorded_and_secrets_never(client: TestClient, database_url: str,
                                                         org: OrgHandle, project: dict) -> None:
    hook = client.post("/v2/webhooks", headers=org.headers, json={
        "name": "Hook", "url": "https://hooks.example.com/in", "events": ["jira:issue_created"],
        "secret": "s3cret-value-123"})
    assert hook.status_code == 201, hook.text
    hook_id = hook.json()["id"]
    assert client.patch(f"/v2/webhooks/{hook_id}", headers=org.headers,
                      json={"secret": "n3w-secret-456", "name": "Renamed"}).status_code == 200
    assert client.delete(f"/v2/webhooks/{hook_id}", headers=org.headers).status_code == 204
    records = audit(client, org, object_type="webhook")["records"]
    assert [r["action"] for r in records] == ["webhook.deleted", "webhook.updated", "webhook.created"]
    assert records[1]["changes"]["name"] == {"from": "Hook", "to": "Renamed"}
    assert records[1]["changes"]["secret_encrypted"] == "[redacted]"
    text = str(audit(client, org, limit=200))
    assert "s3cret-value-123" not in text and "n3w-secret-456" not in text

    token = client.post("/v2/myself/tokens", headers=org.headers, json={"name": "ci"})
    assert token.status_code == 201, token.text
    tokens = audit(client, org, object_type="api_token")["records"]
    assert tokens[0]["changes"] == {"user_id": org.admin_user_id, "name": "ci", "scope": None}
    token_id = tokens[0]["object"]["id"]
    assert client.delete(f"/v2/myself/tokens/{token_id}", headers=org.headers).status_code == 204
    revoked = audit(client, org, action="user.token_revoked")["records"]
    assert revoked[0]["changes"]["token_id"] == token_id
    assert token.json()["api_token"] not in str(audit(client, org, limit=200))

    csv = client.get(f"/v2/projects/{project['id']}/reports/cumulative-flow", params={"format": "csv"},
                     headers=org.headers)
    assert csv.status_code == 200, csv.text
    exported = audit(client, org, action="report.exported")["records"]
    assert exported[0]["object"]["key"] == project["key"] and exported[0]["changes"]["format"] == "csv"


def test_sign_ins_succeeded_and_failed(client: TestClient, database_url: str) -> None:
    org = make_org(database_url)  # with a password
    client.cookies.clear()
    try:
        good = client.post("/v2/session", json={"email": org.admin_email, "password": org.admin_password})
        assert good.status_code == 200, good.text
        wrong = client.post("/v2/session", json={"email": org.admin_email, "password": "not the password"})
        stranger = client.post("/v2/session", json={"email": "nobody@nowhere.test", "password": "not the password",
                                                    "organization": org.key})
        # The client cannot tell an unknown account from a wrong password.
        assert wrong.status_code == stranger.status_code == 401
        assert wrong.json()["error"]["message"] == stranger.json()["error"]["message"]
        signed_out = client.delete("/v2/session")
        assert signed_out.status_code == 204
    finally:
        client.cookies.clear()
    records = audit(client, org, action="auth.")["records"]
    assert [r["action"] for r in records] == ["auth.signout", "auth.signin_failed", "auth.signin_failed",
                                              "auth.signin"]
    unknown, known = records[1]["changes"], records[2]["changes"]
    assert known == {"email": org.admin_email, "known_user": True, "reason": "not_authenticated"}
    assert unknown == {"email": "nobody@nowhere.test", "known_user": False, "reason": "not_authenticated"}
    assert records[3]["actor"]["user_id"] == org.admin_user_id and records[3]["actor"]["ip"] == "testclient"
    assert "not the password" not in str(records)


ROW = re.compile(r"<code>([a-z_.]+)</code>")


def test_the_admin_page_lists_and_filters(client: TestClient, database_url: str, org: OrgHandle,
                                          project: dict) -> None:
    client.cookies.clear()
    try:
        open_session(client, database_url, org)
        page = client.get("/admin/audit")
        assert page.status_code == 200, page.text
        assert 'href="/admin/audit" class="active"' in page.text
        assert "project.created" in ROW.findall(page.text)
        filtered = client.get("/admin/audit", params={"action": "project.created"})
        assert set(ROW.findall(filtered.text)) == {"project.created"}
        bad = client.get("/admin/audit", params={"since": "yesterday"})
        assert bad.status_code == 400 and "&#39;since&#39; is a date" in bad.text
        sign_in_as(client, database_url, make_user(database_url, org, role="member"))
        assert client.get("/admin/audit").status_code == 403
    finally:
        client.cookies.clear()


def test_retention_is_an_admins_setting_and_is_recorded(client: TestClient, database_url: str,
                                                        org: OrgHandle) -> None:
    assert client.get("/v2/audit/retention", headers=org.headers).json() == {
        "retention_days": None, "checkpoint_sequence": 0, "head_sequence": 0}
    changed = client.put("/v2/audit/retention", headers=org.headers, json={"retention_days": 400})
    assert changed.status_code == 200, changed.text
    assert changed.json()["retention_days"] == 400 and changed.json()["head_sequence"] == 1
    record = audit(client, org, action="audit.retention_changed")["records"][0]
    assert record["changes"] == {"retention_days": {"from": None, "to": 400}}
    bad = client.put("/v2/audit/retention", headers=org.headers, json={"retention_days": 0})
    assert bad.status_code in (400, 422) and "retention_days" in bad.text
    member = make_user(database_url, org, role="member")
    assert client.put("/v2/audit/retention", headers=member.headers, json={"retention_days": 1}).status_code == 403
    assert client.put("/v2/audit/retention", headers=org.headers, json={"retention_days": None}).json()[
        "retention_days"] is None
