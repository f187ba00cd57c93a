"""Whose sight a webhook has: its owner's. An owner who may no longer browse the project, or who
was deactivated, gets nothing; a restricted comment stays with its role; another
organization's events never reach a webhook."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tessera.config import Settings
from tests.factories.receiver import Receiver
from tests.support import OrgHandle, make_org, make_user
from tests.webhooks.conftest import create_issue, create_webhook, drain, run_sql


def test_an_owner_who_may_not_browse_the_issue_gets_nothing(wh_client: TestClient, wh_settings: Settings,
                                                            wh_org: OrgHandle, wh_project: dict,
                                                            receiver: Receiver) -> None:
    second_admin = make_user(wh_settings.database_url, wh_org, role="admin")
    create_webhook(wh_client, second_admin, receiver.url + "/demoted")
    create_webhook(wh_client, wh_org, receiver.url + "/admin")
    # The project turns private and the second admin becomes a plain member with no role in it.
    run_sql(wh_settings.database_url, "UPDATE projects SET access = 'private' WHERE id = :id", {"id": wh_project["id"]})
    run_sql(wh_settings.database_url, "UPDATE users SET role = 'member' WHERE id = :id", {"id": second_admin.user_id})
    create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    assert [r.path for r in receiver.requests] == ["/admin"]


def test_a_deactivated_owner_gets_nothing(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle,
                                          wh_project: dict, receiver: Receiver) -> None:
    second_admin = make_user(wh_settings.database_url, wh_org, role="admin")
    create_webhook(wh_client, second_admin, receiver.url)
    run_sql(wh_settings.database_url, "UPDATE users SET active = false WHERE id = :id", {"id": second_admin.user_id})
    create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    assert receiver.requests == []


def test_a_restricted_comment_reaches_only_owners_who_may_read_it(wh_client: TestClient, wh_settings: Settings,
                                                                  wh_org: OrgHandle, wh_project: dict,
                                                                  receiver: Receiver) -> None:
    second_admin = make_user(wh_settings.database_url, wh_org, role="admin")
    create_webhook(wh_client, second_admin, receiver.url + "/member", events=["comment_created"])
    create_webhook(wh_client, wh_org, receiver.url + "/admin", events=["comment_created"])
    run_sql(wh_settings.database_url, "UPDATE users SET role = 'member' WHERE id = :id", {"id": second_admin.user_id})
    issue = create_issue(wh_client, wh_org, wh_project)
    added = wh_client.post(f"/v2/issues/{issue['id']}/comments",
                           json={"body": "Admins only", "visibility": {"type": "role", "value": "administrators"}},
                           headers=wh_org.headers)
    assert added.status_code == 201, added.text
    drain(wh_settings)
    assert [r.path for r in receiver.requests] == ["/admin"]
    assert json.loads(receiver.requests[0].body)["comment"]["body"] == "Admins only"


def test_another_organizations_events_never_reach_a_webhook(wh_client: TestClient, wh_settings: Settings,
                                                            wh_org: OrgHandle, wh_project: dict,
                                                            receiver: Receiver) -> None:
    create_webhook(wh_client, wh_org, receiver.url, events=["jira:issue_created", "jira:issue_updated",
                                                            "comment_created", "project_created"])
    drain(wh_settings)
    assert [json.loads(r.body)["project"]["id"] for r in receiver.requests] == [str(wh_project["id"])]
    receiver.requests.clear()
    other = make_org(wh_settings.database_url)
    theirs = wh_client.post("/v2/projects", json={"key": "HOOK", "name": "Theirs"}, headers=other.headers).json()
    issue = create_issue(wh_client, other, theirs, summary="Secret plans")
    wh_client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "psst"}, headers=other.headers)
    drain(wh_settings)
    assert receiver.requests == []
    create_issue(wh_client, wh_org, wh_project, summary="Ours")
    drain(wh_settings)
    assert [json.loads(r.body)["issue"]["fields"]["summary"] for r in receiver.requests] == ["Ours"]


def test_the_test_action_reaches_the_receiver_even_while_disabled(wh_client: TestClient, wh_settings: Settings,
                                                                  wh_org: OrgHandle, receiver: Receiver) -> None:
    hook = create_webhook(wh_client, wh_org, receiver.url, enabled=False, secret="t")
    queued = wh_client.post(f"/v2/webhooks/{hook['id']}/test", headers=wh_org.headers).json()
    drain(wh_settings)
    [request] = receiver.requests
    assert request.headers["x-tessera-event"] == "webhook_test"
    assert request.headers["x-tessera-delivery"] == queued["idempotency_key"]
    assert json.loads(request.body)["webhook"] == {"id": hook["id"], "name": "Hook"}
    [entry] = wh_client.get(f"/v2/webhooks/{hook['id']}/deliveries", headers=wh_org.headers).json()["deliveries"]
    assert entry["state"] == "delivered" and entry["history"][0]["status_code"] == 200


def test_one_batch_with_an_issue_the_owner_may_not_see_still_sends_the_others(
        wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle, wh_project: dict,
        receiver: Receiver) -> None:
    """The worker runs a webhook's filter once over a batch's issues; an issue its owner may not
    see makes that one query fail (JQL reads it as no such value), and then each issue is asked
    alone: the visible ones still arrive, in one batch with the hidden one."""
    member = make_user(wh_settings.database_url, wh_org, role="admin")
    create_webhook(wh_client, member, receiver.url, jql='summary ~ "alert"')
    hidden = wh_client.post("/v2/projects", json={"key": "HIDE", "name": "Hidden"}, headers=wh_org.headers).json()
    run_sql(wh_settings.database_url, "UPDATE users SET role = 'member' WHERE id = :id", {"id": member.user_id})
    run_sql(wh_settings.database_url, "UPDATE projects SET access = 'private' WHERE id = :id", {"id": hidden["id"]})
    seen = create_issue(wh_client, wh_org, wh_project, summary="First alert")
    create_issue(wh_client, wh_org, hidden, summary="Hidden alert")
    also = create_issue(wh_client, wh_org, wh_project, summary="Second alert")
    create_issue(wh_client, wh_org, wh_project, summary="Nothing to see")
    drain(wh_settings)
    assert sorted(json.loads(r.body)["issue"]["key"] for r in receiver.requests) == sorted([seen["key"], also["key"]])
