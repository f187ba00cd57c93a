"""Idempotency-Key on creates: a retry answers the first response (marked as a replay) and
creates nothing; a key reused with another request answers 422; keys are per organization
and user; an expired key may be used again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.tenancy.actor import Actor
from tessera.tenancy.idempotency import (
    IdempotencyKeyReused,
    Replayed,
    StoredResponse,
    claim_key,
    record_response,
)
from tests.support import OrgHandle, fetch_rows, make_user

JIRA = {"X-Atlassian-Token": "no-check"}


def _keyed(org: OrgHandle | object, key: str) -> dict[str, str]:
    return {**org.headers, "Idempotency-Key": key}  # type: ignore[attr-defined]


def _count(client: TestClient, org: OrgHandle, jql: str) -> int:
    found = client.post("/v2/search", json={"jql": jql, "max_results": 0}, headers=org.headers)
    assert found.status_code == 200, found.text
    return int(found.json()["total"])


def _assert_replayed(first: httpx.Response, again: httpx.Response) -> None:
    assert first.status_code == again.status_code and first.status_code in (200, 201), first.text
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    for name in ("Location", "ETag"):
        assert again.headers.get(name) == first.headers.get(name)


def test_a_retried_issue_create_answers_the_first_issue(client: TestClient, org: OrgHandle, project: dict) -> None:
    key = str(uuid.uuid4())
    body = {"project_id": project["key"], "issue_type": "Task", "summary": "Quokka retried"}
    first = client.post("/v2/issues", json=body, headers=_keyed(org, key))
    assert first.status_code == 201, first.text
    again = client.post("/v2/issues", json=dict(reversed(body.items())), headers=_keyed(org, key))
    _assert_replayed(first, again)
    assert again.json()["id"] == first.json()["id"]
    assert _count(client, org, 'summary ~ "Quokka retried"') == 1
    # Without a key, the same body creates again.
    assert client.post("/v2/issues", json=body, headers=org.headers).status_code == 201
    assert _count(client, org, 'summary ~ "Quokka retried"') == 2


def test_a_key_reused_with_another_request_answers_422(client: TestClient, org: OrgHandle, project: dict) -> None:
    key = str(uuid.uuid4())
    body = {"project_id": project["key"], "issue_type": "Task", "summary": "First body"}
    assert client.post("/v2/issues", json=body, headers=_keyed(org, key)).status_code == 201
    reused = client.post("/v2/issues", json={**body, "summary": "Second body"}, headers=_keyed(org, key))
    assert reused.status_code == 422, reused.text
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    elsewhere = client.post("/rest/api/2/issue", json={"fields": {"project": {"key": project["key"]},
                                                                 "issuetype": {"name": "Task"},
                                                                 "summary": "First body"}},
                            headers=_keyed(org, key))
    assert elsewhere.status_code == 422 and elsewhere.json()["errorMessages"], elsewhere.text
    assert _count(client, org, 'summary ~ "body"') == 1
    bad = client.post("/v2/issues", json=body, headers=_keyed(org, "x" * 256))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "Idempotency-Key"


def test_keys_belong_to_one_user_of_one_organization(client: TestClient, database_url: str, org: OrgHandle,
                                                     other_org: OrgHandle, project: dict) -> None:
    key = str(uuid.uuid4())
    body = {"project_id": project["key"], "issue_type": "Task", "summary": "Wombat shared"}
    mine = client.post("/v2/issues", json=body, headers=_keyed(org, key))
    assert mine.status_code == 201
    colleague = make_user(database_url, org, role="member")
    access = client.put(f"/v2/projects/{project['id']}/roles/developers", json={"user_ids": [colleague.user_id]},
                        headers=org.headers)
    assert access.status_code == 200, access.text
    theirs = client.post("/v2/issues", json=body, headers=_keyed(colleague, key))
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    # Another organization's same key (and same body, with a project of that key) is its own.
    assert client.post("/v2/projects", json={"key": project["key"], "name": "Theirs"},
                       headers=other_org.headers).status_code == 201
    other = client.post("/v2/issues", json=body, headers=_keyed(other_org, key))
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert _count(client, org, 'summary ~ "Wombat shared"') == 2
    assert _count(client, other_org, 'summary ~ "Wombat shared"') == 1


def _v2_comment(client: TestClient, org: OrgHandle, issue: dict, key: str) -> httpx.Response:
    return client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Said once"}, headers=_keyed(org, key))


def _v2_upload(client: TestClient, org: OrgHandle, issue: dict, key: str) -> httpx.Response:
    return client.post(f"/v2/issues/{issue['id']}/attachments", headers=_keyed(org, key),
                       files=[("file", ("once.txt", b"uploaded once", "text/plain"))])


def _jira_comment(client: TestClient, org: OrgHandle, issue: dict, key: str) -> httpx.Response:
    return client.post(f"/rest/api/2/issue/{issue['key']}/comment", json={"body": "Said once"},
                       headers=_keyed(org, key))


def _jira_worklog(client: TestClient, org: OrgHandle, issue: dict, key: str) -> httpx.Response:
    return client.post(f"/rest/api/2/issue/{issue['key']}/worklog", json={"timeSpentSeconds": 600},
                       headers=_keyed(org, key))


def _jira_upload(client: TestClient, org: OrgHandle, issue: dict, key: str) -> httpx.Response:
    return client.post(f"/rest/api/2/issue/{issue['key']}/attachments", headers={**_keyed(org, key), **JIRA},
                       files=[("file", ("once.txt", b"uploaded once", "text/plain"))])


def _comments(client: TestClient, org: OrgHandle, issue: dict) -> int:
    return int(client.get(f"/v2/issues/{issue['id']}/comments", headers=org.headers).json()["total"])


def _attachments(client: TestClient, org: OrgHandle, issue: dict) -> int:
    return int(client.get(f"/v2/issues/{issue['id']}/attachments", headers=org.headers).json()["total"])


def _worklogs(client: TestClient, org: OrgHandle, issue: dict) -> int:
    return int(client.get(f"/rest/api/2/issue/{issue['key']}/worklog", headers=org.headers).json()["total"])


Create = Callable[[TestClient, OrgHandle, dict, str], httpx.Response]
CREATES: dict[str, tuple[Create, Callable[[TestClient, OrgHandle, dict], int]]] = {
    "v2 comment": (_v2_comment, _comments), "v2 attachment": (_v2_upload, _attachments),
    "jira comment": (_jira_comment, _comments), "jira worklog": (_jira_worklog, _worklogs),
    "jira attachment": (_jira_upload, _attachments)}


@pytest.mark.parametrize("kind", CREATES)
def test_a_retried_create_on_an_issue_creates_once(client: TestClient, org: OrgHandle, project: dict,
                                                   kind: str) -> None:
    create, count = CREATES[kind]
    issue = client.post("/v2/issues", json={"project_id": project["key"], "issue_type": "Task", "summary": kind},
                        headers=org.headers).json()
    key = str(uuid.uuid4())
    first = create(client, org, issue, key)
    again = create(client, org, issue, key)
    _assert_replayed(first, again)
    assert count(client, org, issue) == 1
    assert create(client, org, issue, str(uuid.uuid4())).status_code == first.status_code
    assert count(client, org, issue) == 2


def test_a_retried_jira_issue_create_answers_the_first_issue(client: TestClient, org: OrgHandle,
                                                             project: dict) -> None:
    key = str(uuid.uuid4())
    body = {"fields": {"project": {"key": project["key"]}, "issuetype": {"name": "Task"}, "summary": "Platypus jira"}}
    first = client.post("/rest/api/2/issue", json=body, headers=_keyed(org, key))
    again = client.post("/rest/api/2/issue", json=body, headers=_keyed(org, key))
    _assert_replayed(first, again)
    assert _count(client, org, 'summary ~ "Platypus jira"') == 1


def test_a_failed_create_leaves_no_key(client: TestClient, org: OrgHandle, project: dict) -> None:
    key = str(uuid.uuid4())
    refused = client.post("/v2/issues", json={"project_id": project["key"], "issue_type": "Nope", "summary": "x"},
                          headers=_keyed(org, key))
    assert refused.status_code == 400
    created = client.post("/v2/issues", json={"project_id": project["key"], "issue_type": "Task", "summary": "x"},
                          headers=_keyed(org, key))
    assert created.status_code == 201 and "Idempotent-Replayed" not in created.headers


def test_an_expired_key_is_purged_and_may_be_used_again(database_url: str, org: OrgHandle) -> None:
    actor = Actor(organization_id=org.organization_id, user_id=org.admin_user_id, email="", display_name="",
                  org_role="admin")
    first = StoredResponse(201, '{"id": 1}', {"location": "/v2/issues/1"})

    async def scenario() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                await claim_key(session, actor=actor, key="expiring", fingerprint="a")
                await record_response(session, actor=actor, key="expiring", response=first)
            with pytest.raises(Replayed) as replayed:
                async with database.unit_of_work() as session:
                    await claim_key(session, actor=actor, key="expiring", fingerprint="a")
            assert replayed.value.response == first
            with pytest.raises(IdempotencyKeyReused):
                async with database.unit_of_work() as session:
                    await claim_key(session, actor=actor, key="expiring", fingerprint="b")
            async with database.unit_of_work() as session:  # a day later: the old key is gone
                await claim_key(session, actor=actor, key="expiring", fingerprint="b",
                                now=utcnow() + timedelta(hours=24, seconds=1))
        finally:
            await database.dispose()

    asyncio.run(scenario())
    rows = fetch_rows(database_url, "SELECT fingerprint, response_status FROM idempotency_keys "
                                    "WHERE organization_id = :org", {"org": org.organization_id})
    assert rows == [{"fingerprint": "b", "response_status": None}]
