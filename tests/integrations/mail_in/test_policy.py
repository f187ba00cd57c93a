"""A project's email-in policy through /v2/projects/{id}/mail-in: its default, who may change it,
and what it may name."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle, UserHandle, make_user


def test_the_default_policy_and_its_changes(client: TestClient, org: OrgHandle, project: dict, member: UserHandle,
                                            viewer: UserHandle) -> None:
    default = client.get(f"/v2/projects/{project['id']}/mail-in", headers=viewer.headers)
    assert default.status_code == 200
    assert default.json() == {"address": f"{org.key.lower()}-proj@testserver", "enabled": True,
                              "unknown_senders": "reject", "on_behalf_of_id": None, "issue_type": "Task"}
    assert client.put("/v2/projects/PROJ/mail-in", json={"enabled": False}, headers=member.headers).status_code == 403
    changed = client.put("/v2/projects/PROJ/mail-in", json={"issue_type": "Bug", "enabled": False},
                         headers=org.headers)
    assert changed.status_code == 200 and changed.json()["issue_type"] == "Bug" and not changed.json()["enabled"]
    assert client.get("/v2/projects/PROJ/mail-in", headers=org.headers).json()["issue_type"] == "Bug"


def test_bad_values_are_refused_naming_the_field(client: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                 database_url: str, project: dict) -> None:
    for body, field in (({"unknown_senders": "accept"}, "unknown_senders"), ({"enabled": "yes"}, "enabled"),
                        ({"on_behalf_of_id": "1"}, "on_behalf_of_id"), ({"surprise": 1}, "surprise")):
        response = client.put("/v2/projects/PROJ/mail-in", json=body, headers=org.headers)
        assert response.status_code in (400, 422) and field in response.text, (body, response.text)
    # A user of another organization cannot be the one who files mail here: named like a missing one.
    theirs = make_user(database_url, other_org)
    response = client.put("/v2/projects/PROJ/mail-in", json={"unknown_senders": "create",
                                                              "on_behalf_of_id": theirs.user_id}, headers=org.headers)
    assert response.status_code == 400 and "no active user of this organization" in response.text
    assert client.put("/v2/projects/PROJ/mail-in", json={"issue_type": "  "}, headers=org.headers).status_code == 400
    assert client.get("/v2/projects/PROJ/mail-in", headers=org.headers).json()["unknown_senders"] == "reject"
