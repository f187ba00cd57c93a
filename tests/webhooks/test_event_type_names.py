"""A transition's issue_event_type_name, as Jira names it: issue_resolved, issue_closed or
issue_reopened for what the transition did (the notifications' rule, StatusChanged.kind_of),
issue_generic for any other move."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tessera.config import Settings
from tests.factories.receiver import Receiver
from tests.support import OrgHandle
from tests.webhooks.conftest import create_issue, create_webhook, drain


def _move(client: TestClient, org: OrgHandle, issue: dict, transition: str, **body: object) -> None:
    moved = client.post(f"/v2/issues/{issue['id']}/transitions/{transition}", json=body or None, headers=org.headers)
    assert moved.status_code == 200, moved.text


def _status_names(receiver: Receiver) -> list[str]:
    """The issue_event_type_name of each transition received (a status in its changelog), sorted:
    deliveries arrive in any order, and each of the test's transitions has a name of its own."""
    names = []
    for request in receiver.requests:
        body = json.loads(request.body)
        items = [i for i in (body.get("changelog") or {}).get("items", []) if i["field"] == "status"]
        if items:
            assert body["webhookEvent"] == "jira:issue_updated"
            names.append(body["issue_event_type_name"])
    return sorted(names)


def test_transitions_are_named_resolved_closed_reopened_or_generic(
        wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle, wh_project: dict,
        receiver: Receiver) -> None:
    issue = create_issue(wh_client, wh_org, wh_project)
    create_webhook(wh_client, wh_org, receiver.url, events=["jira:issue_updated"])
    _move(wh_client, wh_org, issue, "21")  # To Do -> In Progress: a plain move
    _move(wh_client, wh_org, issue, "31", fields={"resolution": {"name": "Done"}})  # resolved
    _move(wh_client, wh_org, issue, "51")  # Done -> Won't Do: done to done, no new resolution
    _move(wh_client, wh_org, issue, "11")  # Won't Do -> To Do: the resolution taken away
    drain(wh_settings)
    assert _status_names(receiver) == sorted(["issue_generic", "issue_resolved", "issue_closed", "issue_reopened"])


def test_each_transition_is_one_delivery_whose_changelog_is_its_own(
        wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle, wh_project: dict,
        receiver: Receiver) -> None:
    """Jira fires one event per transition: the workflow's `fire_event` of issue_resolved and
    issue_reopened names the transition, it is not a second delivery. And of transitions made in
    the same second, each delivery's changelog is the one its own transition wrote."""
    issue = create_issue(wh_client, wh_org, wh_project)
    create_webhook(wh_client, wh_org, receiver.url, events=["jira:issue_updated"])
    _move(wh_client, wh_org, issue, "21")
    _move(wh_client, wh_org, issue, "31", fields={"resolution": {"name": "Done"}})
    _move(wh_client, wh_org, issue, "11")
    drain(wh_settings)
    moved_to = {}
    for request in receiver.requests:
        body = json.loads(request.body)
        [status] = [i for i in body["changelog"]["items"] if i["field"] == "status"]
        moved_to[body["issue_event_type_name"]] = (status["fromString"], status["toString"])
    assert len(receiver.requests) == 3
    assert moved_to == {"issue_generic": ("To Do", "In Progress"), "issue_resolved": ("In Progress", "Done"),
                        "issue_reopened": ("Done", "To Do")}
