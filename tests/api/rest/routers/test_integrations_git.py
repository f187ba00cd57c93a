"""PATCH /v2/integrations/git/{id}: name, repository and rules change alone or together; a
rotated secret (given or generated) is answered once, and from then on the host's events must be
signed with it; bad values are 400s naming their field with nothing changed; members are refused
and another organization's connection is missing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integrations.git import hosts
from tests.support import OrgHandle, UserHandle, fetch_rows

SECRET = "first-secret"


def connect(client: TestClient, org: OrgHandle, **body: object) -> dict:
    response = client.post("/v2/integrations/git", json={"provider": "github", "name": "Acme", "secret": SECRET,
                                                         **body}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def patch(client: TestClient, org: OrgHandle, connection: dict, body: dict):  # type: ignore[no-untyped-def]
    return client.patch(f"/v2/integrations/git/{connection['id']}", json=body, headers=org.headers)


def push(client: TestClient, connection: dict, secret: str) -> int:
    body, headers = hosts.signed("github", secret, "push", hosts.github_push("no key here"))
    return client.post(f"/v2/integrations/git/{connection['id']}/events", content=body, headers=headers).status_code


def test_patch_changes_only_what_it_is_given(client: TestClient, org: OrgHandle, project: dict) -> None:
    connection = connect(client, org, repository="acme/web")
    renamed = patch(client, org, connection, {"name": "  Acme web  "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Acme web" and renamed.json()["repository"] == "acme/web"
    assert "secret" not in renamed.json()
    rules = [{"project": "proj", "on": "opened", "transition": "In Progress"},
             {"project": "PROJ", "on": "merged", "transition": "Done"}]
    ruled = patch(client, org, connection, {"rules": rules, "repository": "acme/api"}).json()
    assert ruled["rules"] == [{"project": "PROJ", "on": "opened", "transition": "In Progress"},
                              {"project": "PROJ", "on": "merged", "transition": "Done"}]
    assert ruled["name"] == "Acme web" and ruled["repository"] == "acme/api"
    cleared = patch(client, org, connection, {"repository": None, "rules": None}).json()
    assert cleared["repository"] is None and cleared["rules"] == []
    shown = client.get(f"/v2/integrations/git/{connection['id']}", headers=org.headers).json()
    assert (shown["name"], shown["repository"], shown["rules"]) == ("Acme web", None, [])
    assert shown["webhook_url"] == connection["webhook_url"]  # the URL the host knows stays


def test_a_rotated_secret_is_shown_once_and_the_old_one_stops_working(client: TestClient, org: OrgHandle,
                                                                      database_url: str) -> None:
    connection = connect(client, org)
    assert push(client, connection, SECRET) == 200
    rotated = patch(client, org, connection, {"rotate_secret": True})
    assert rotated.status_code == 200, rotated.text
    generated = rotated.json()["secret"]
    assert len(generated) >= 40 and generated != SECRET
    assert "secret" not in client.get(f"/v2/integrations/git/{connection['id']}", headers=org.headers).json()
    assert push(client, connection, SECRET) == 401
    assert push(client, connection, generated) == 200
    chosen = patch(client, org, connection, {"secret": "my-chosen-secret"})
    assert chosen.status_code == 200 and chosen.json()["secret"] == "my-chosen-secret"
    assert push(client, connection, generated) == 401 and push(client, connection, "my-chosen-secret") == 200
    [row] = fetch_rows(database_url, "SELECT secret_encrypted FROM git_connections WHERE id = :id",
                       {"id": connection["id"]})
    assert "my-chosen-secret" not in row["secret_encrypted"]


def test_bad_values_are_400s_naming_the_field_and_change_nothing(client: TestClient, org: OrgHandle,
                                                                 project: dict) -> None:
    connection = connect(client, org, repository="acme/web")
    cases = [({"name": ""}, "name"), ({"name": None}, "name"), ({"name": "x" * 256}, "name"),
             ({"repository": "r" * 501}, "repository"), ({"secret": ""}, "secret"), ({"secret": None}, "secret"),
             ({"secret": "s" * 256}, "secret"),
             ({"secret": "mine", "rotate_secret": True}, "rotate_secret"),
             ({"rules": [{"project": "NOPE", "on": "opened", "transition": "Done"}]}, "rules[0].project"),
             ({"rules": [{"project": "PROJ", "on": "closed", "transition": "Done"}]}, "rules[0].on"),
             ({"rules": [{"project": "PROJ", "on": "merged", "transition": " "}]}, "rules[0].transition"),
             ({"rules": [{"project": "PROJ", "on": "merged", "transition": "Done", "when": "x"}]}, "rules[0]"),
             # A good name with a bad rule: the name is not changed either.
             ({"name": "Changed", "rules": [{"project": "PROJ", "on": "reviewed", "transition": "Done"}]},
              "rules[0].on")]
    for body, field in cases:
        response = patch(client, org, connection, body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_input" and error["field"] == field, (body, error)
        assert field.split("[")[0].split(".")[0] in error["message"], error
    unknown = patch(client, org, connection, {"provider": "gitlab"})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "provider"
    shown = client.get(f"/v2/integrations/git/{connection['id']}", headers=org.headers).json()
    assert (shown["name"], shown["repository"], shown["rules"], shown["provider"]) == ("Acme", "acme/web", [],
                                                                                       "github")
    assert push(client, connection, SECRET) == 200  # the secret was never changed


def test_members_are_refused_and_other_organizations_find_nothing(client: TestClient, org: OrgHandle,
                                                                  other_org: OrgHandle, member: UserHandle) -> None:
    connection = connect(client, org)
    refused = client.patch(f"/v2/integrations/git/{connection['id']}", json={"name": "Mine"},
                           headers={"Authorization": f"Bearer {member.token}"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only organization administrators manage Git connections."
    foreign = patch(client, other_org, connection, {"name": "Mine", "rotate_secret": True})
    missing = client.patch("/v2/integrations/git/999999999", json={"name": "Mine", "rotate_secret": True},
                           headers=other_org.headers)
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    shown = client.get(f"/v2/integrations/git/{connection['id']}", headers=org.headers).json()
    assert shown["name"] == "Acme"
    assert push(client, connection, SECRET) == 200
