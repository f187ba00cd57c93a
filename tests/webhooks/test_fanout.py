"""From a change to a receiver: the payload in Jira's shape (read as a Jira receiver reads it),
signed, filtered by JQL as the owner sees the issue, with URL variables and excludeBody."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import unquote

from fastapi.testclient import TestClient

from tessera.config import Settings
from tests.factories.receiver import Receiver
from tests.integrations.git import hosts
from tests.integrations.git.test_inbound import connect, post
from tests.support import OrgHandle
from tests.webhooks.conftest import create_issue, create_webhook, deliveries_of, drain


def verify(secret: str, received_body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), received_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_issue_created_arrives_signed_in_jiras_shape(wh_client: TestClient, wh_settings: Settings,
                                                     wh_org: OrgHandle, wh_project: dict, receiver: Receiver) -> None:
    hook = create_webhook(wh_client, wh_org, f"{receiver.url}/jira", secret="s3cret-value")
    issue = create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    [request] = receiver.requests
    assert request.path == "/jira"
    headers = request.headers
    assert verify("s3cret-value", request.body, headers["x-tessera-signature"])
    assert not verify("another secret", request.body, headers["x-tessera-signature"])
    assert headers["content-type"] == "application/json"
    assert headers["x-tessera-event"] == "jira:issue_created"
    assert headers["x-tessera-delivery"].startswith(f"wh:{hook['id']}:")
    assert headers["x-atlassian-webhook-identifier"] == headers["x-tessera-delivery"]
    assert headers["user-agent"].startswith("Tessera-Webhooks/")
    body = json.loads(request.body)
    assert body["webhookEvent"] == "jira:issue_created"
    assert body["issue_event_type_name"] == "issue_created"
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 1_700_000_000_000
    assert body["user"]["name"] == wh_org.admin_email and body["user"]["accountId"] == str(wh_org.admin_user_id)
    # The issue exactly as the Jira REST API renders it for the webhook's owner.
    rest = wh_client.get(f"/rest/api/2/issue/{issue['key']}", headers=wh_org.headers).json()
    assert body["issue"] == rest
    assert body["issue"]["self"] == f"http://testserver/rest/api/2/issue/{issue['id']}"
    assert "changelog" not in body
    [stored] = deliveries_of(wh_settings.database_url, hook["id"])
    assert stored["state"] == "delivered" and stored["idempotency_key"] == headers["x-tessera-delivery"]
    # A second drain sends nothing again (the delivery is settled, the event processed).
    drain(wh_settings)
    assert len(receiver.requests) == 1


def test_a_transition_carries_a_status_changelog(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle,
                                                 wh_project: dict, receiver: Receiver) -> None:
    issue = create_issue(wh_client, wh_org, wh_project)
    create_webhook(wh_client, wh_org, receiver.url, events=["jira:issue_updated"])
    drain(wh_settings)
    assert receiver.requests == []  # created only: not subscribed
    moved = wh_client.post(f"/v2/issues/{issue['id']}/transitions/21", headers=wh_org.headers)
    assert moved.status_code == 200, moved.text
    drain(wh_settings)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["webhookEvent"] == "jira:issue_updated"
    assert body["issue_event_type_name"] == "issue_generic"
    assert body["issue"]["fields"]["status"]["name"] == "In Progress"
    [item] = [i for i in body["changelog"]["items"] if i["field"] == "status"]
    assert set(item) >= {"field", "fieldtype", "fieldId", "from", "fromString", "to", "toString"}
    assert item["fieldtype"] == "jira" and item["fieldId"] == "status"
    assert item["fromString"] == "To Do" and item["toString"] == "In Progress"
    assert item["from"] and item["to"] and item["from"] != item["to"]
    assert body["changelog"]["id"]


def test_a_comment_arrives_as_comment_created(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle,
                                              wh_project: dict, receiver: Receiver) -> None:
    issue = create_issue(wh_client, wh_org, wh_project)
    create_webhook(wh_client, wh_org, receiver.url, events=["comment_created"])
    added = wh_client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Looking at it now."},
                           headers=wh_org.headers)
    assert added.status_code == 201, added.text
    drain(wh_settings)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["webhookEvent"] == "comment_created"
    assert "issue_event_type_name" not in body
    comment = body["comment"]
    assert comment["body"] == "Looking at it now."
    assert comment["author"]["name"] == wh_org.admin_email
    assert comment["self"].endswith(f"/rest/api/2/issue/{issue['id']}/comment/{comment['id']}")
    assert comment["created"].endswith("+0000")
    assert body["issue"]["key"] == issue["key"] and body["issue"]["fields"]["summary"] == "Disk alert"


def test_issue_subscribers_hear_a_comment_as_issue_commented(wh_client: TestClient, wh_settings: Settings,
                                                             wh_org: OrgHandle, wh_project: dict,
                                                             receiver: Receiver) -> None:
    issue = create_issue(wh_client, wh_org, wh_project)
    create_webhook(wh_client, wh_org, receiver.url, events=["jira:issue_updated"])
    drain(wh_settings)
    wh_client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Hi"}, headers=wh_org.headers)
    drain(wh_settings)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert (body["webhookEvent"], body["issue_event_type_name"]) == ("jira:issue_updated", "issue_commented")
    assert body["comment"]["body"] == "Hi" and body["issue"]["key"] == issue["key"]


def test_the_jql_filter_runs_on_the_issue_after_the_change(wh_client: TestClient, wh_settings: Settings,
                                                           wh_org: OrgHandle, wh_project: dict,
                                                           receiver: Receiver) -> None:
    create_webhook(wh_client, wh_org, receiver.url, jql='summary ~ "database" AND project = HOOK')
    create_issue(wh_client, wh_org, wh_project, summary="The database is down")
    create_issue(wh_client, wh_org, wh_project, summary="A typo on the home page")
    drain(wh_settings)
    assert [json.loads(r.body)["issue"]["fields"]["summary"] for r in receiver.requests] == ["The database is down"]


def test_a_jql_filter_on_development_data(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle,
                                          wh_project: dict, receiver: Receiver) -> None:
    """The batch fan-out's JQL path (the filter ANDed with the batch's issue ids) reads the
    integrations' facts: only the issue a pushed commit names is sent."""
    linked = create_issue(wh_client, wh_org, wh_project, summary="Linked")
    alone = create_issue(wh_client, wh_org, wh_project, summary="Alone")
    connection = connect(wh_client, wh_org, "github")
    assert post(wh_client, connection, "github", "push",
                hosts.github_push(f"{linked['key']} fix the login")).status_code == 200
    drain(wh_settings)  # the creations, before there is a webhook
    create_webhook(wh_client, wh_org, receiver.url, events=["comment_created"],
                   jql="development[commits].all > 0 AND development[pullrequests].open = 0")
    for key in (linked["key"], alone["key"]):
        added = wh_client.post(f"/v2/issues/{key}/comments", json={"body": "Any news?"}, headers=wh_org.headers)
        assert added.status_code == 201, added.text
    drain(wh_settings)
    assert [json.loads(r.body)["issue"]["key"] for r in receiver.requests] == [linked["key"]]


def test_url_variables_and_an_excluded_body(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle,
                                            wh_project: dict, receiver: Receiver) -> None:
    create_webhook(wh_client, wh_org, receiver.url + "/hook/${project.key}/${issue.key}?id=${issue.id}&x=${nope}",
                   exclude_body=True, secret="k")
    issue = create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    [request] = receiver.requests
    # An unknown variable stays as written (percent-encoded on the wire, as braces must be in a URL).
    assert unquote(request.path) == f"/hook/HOOK/{issue['key']}?id={issue['id']}&x=${{nope}}"
    assert request.body == b""
    assert verify("k", b"", request.headers["x-tessera-signature"])
