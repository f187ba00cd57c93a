"""POST /v2/users/{id}/erase and `tessera gdpr erase`, on SQLite and PostgreSQL: afterwards no
text or JSON column of the organization holds the user's email or name, their issues, comments
and history are still there (under "Former user N"), their credentials are dead, the audit chain
verifies and records the erasure, and the other organization's user with the same email is
untouched."""

from __future__ import annotations

import io
import json
import zipfile

from click.testing import CliRunner
from fastapi.testclient import TestClient

from tessera.cli.main import cli
from tests.audit.test_chain import tamper
from tests.factories.http import ok
from tests.factories.live import execute
from tests.gdpr.world import make_footprint, rows_mentioning
from tests.support import OrgHandle, fetch_rows, make_user


def _verify(database_url: str, org: OrgHandle):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["audit", "verify", "--org", org.key, "--database-url", database_url],
                              catch_exceptions=False)


def test_erasure_leaves_no_personal_data_and_keeps_the_work(client: TestClient, database_url: str,
                                                            org: OrgHandle, other_org: OrgHandle) -> None:
    world = make_footprint(client, database_url, org, other_org)
    person = world.person
    # A sign-in trail with the person's browser: their own token used from a known user agent.
    ok(client.get("/v2/myself", headers={**person.headers, "User-Agent": "PersonalBrowser/1.0"}))
    assert rows_mentioning(database_url, org.organization_id, person.email, world.name)
    history_before = ok(client.get(f"/v2/issues/{world.assigned['id']}/changelog", headers=org.headers))

    wrong = client.post(f"/v2/users/{person.user_id}/erase", json={"confirm": "someone@else.test"},
                        headers=org.headers)
    assert wrong.status_code == 400 and "confirm" in wrong.text
    by_member = client.post(f"/v2/users/{org.admin_user_id}/erase", json={"confirm": org.admin_email},
                            headers=person.headers)
    assert by_member.status_code == 403
    themselves = client.post(f"/v2/users/{org.admin_user_id}/erase", json={"confirm": org.admin_email},
                             headers=org.headers)
    assert themselves.status_code == 400 and "user_id" in themselves.text

    report = ok(client.post(f"/v2/users/{person.user_id}/erase", json={"confirm": person.email.upper()},
                            headers=org.headers))
    assert report["display_name"] == f"Former user {person.user_id}"
    assert report["email"] == f"erased-user-{person.user_id}@erased.invalid"
    assert report["tokens_revoked"] >= 1 and report["audit_records_redacted"] >= 1

    assert rows_mentioning(database_url, org.organization_id, person.email, world.name) == []
    assert fetch_rows(database_url, "SELECT ip, user_agent FROM audit_records WHERE organization_id = :o AND "
                                    "actor_user_id = :u AND (ip IS NOT NULL OR user_agent IS NOT NULL) "
                                    "AND action NOT IN ('user.erased', 'audit.redacted')",
                      {"o": org.organization_id, "u": person.user_id}) == []
    user = ok(client.get(f"/v2/users/{person.user_id}", headers=org.headers))
    assert (user["display_name"], user["active"]) == (f"Former user {person.user_id}", False)
    assert client.get("/v2/myself", headers=person.headers).status_code == 401

    # The work stays, by the same user id.
    issue = ok(client.get(f"/v2/issues/{world.issue['id']}", headers=org.headers))
    assert issue["reporter"]["id"] == person.user_id
    assert issue["reporter"]["display_name"] == f"Former user {person.user_id}"
    assert issue["description"] == (f"Ask Former user {person.user_id} "
                                    f"(erased-user-{person.user_id}@erased.invalid) about it")
    comments = ok(client.get(f"/v2/issues/{world.issue['id']}/comments", headers=org.headers))
    assert [c["body"] for c in comments["comments"]] == ["The person's own comment"]
    history_after = ok(client.get(f"/v2/issues/{world.assigned['id']}/changelog", headers=org.headers))
    assert history_after["total"] == history_before["total"] >= 1
    assert f"Former user {person.user_id}" in json.dumps(history_after)

    # The chain holds and records the erasure.
    verdict = _verify(database_url, org)
    assert verdict.exit_code == 0, verdict.output
    actions = [row["action"] for row in fetch_rows(
        database_url, "SELECT action FROM audit_records WHERE organization_id = :o AND object_id = :u "
                      "AND object_type = 'user' ORDER BY sequence", {"o": org.organization_id, "u": person.user_id})]
    assert actions[-2:] in (["audit.redacted", "user.erased"], ["user.erased", "audit.redacted"]) or (
        "user.erased" in actions and "audit.redacted" in actions)

    # The other organization's user with the same email, and its data, are untouched.
    assert rows_mentioning(database_url, other_org.organization_id, person.email)
    assert ok(client.get(f"/v2/issues/{world.other_issue['id']}", headers=world.twin.headers))["summary"] == (
        "The twin's secret plans")


def test_cli_erase(client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    world = make_footprint(client, database_url, org, other_org)
    base = ["gdpr", "erase", "--org", org.key, "--user", world.person.email, "--database-url", database_url]
    unconfirmed = CliRunner().invoke(cli, base)
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.output
    assert rows_mentioning(database_url, org.organization_id, world.person.email)
    result = CliRunner().invoke(cli, [*base, "--yes", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["user_id"] == world.person.user_id and report["rows_rewritten"]
    assert rows_mentioning(database_url, org.organization_id, world.person.email, world.name) == []
    assert _verify(database_url, org).exit_code == 0
    again = CliRunner().invoke(cli, [*base, "--yes"])
    assert again.exit_code == 2 and "No user" in again.output

    # A redacted record edited afterwards breaks the chain, at that record.
    listed = fetch_rows(database_url, "SELECT changes FROM audit_records WHERE organization_id = :o "
                                      "AND action = 'audit.redacted'", {"o": org.organization_id})
    changes = listed[0]["changes"]
    sequence = min(int(s) for s in (json.loads(changes) if isinstance(changes, str) else changes)["records"])
    tamper(database_url, f"UPDATE audit_records SET action = 'something.else' WHERE organization_id = "
                         f"{org.organization_id} AND sequence = {sequence}")
    verdict = _verify(database_url, org)
    assert verdict.exit_code == 1
    assert f"chain broken at sequence {sequence}: edited" in verdict.output


def test_erasure_forgets_who_the_user_was_on_an_imported_site(client: TestClient, database_url: str,
                                                             org: OrgHandle, other_org: OrgHandle) -> None:
    """`tessera import jira` records each person's identity on the site (a Jira accountId): the
    export shows it, and an erasure deletes it (a later import of that site makes a new user)."""
    person = make_user(database_url, org)
    twin = make_user(database_url, other_org)
    for handle, organization_id in ((person, org.organization_id), (twin, other_org.organization_id)):
        execute(database_url, "INSERT INTO import_mappings (organization_id, site, kind, external_id, local_id) "
                              "VALUES (:o, 'https://jira.example.test', 'user', :e, :u)",
                {"o": organization_id, "e": f"5b10a2844c20165700ede{handle.user_id}", "u": handle.user_id})
    archive = client.get(f"/v2/users/{person.user_id}/export", headers=person.headers)
    assert archive.status_code == 200, archive.text
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        identities = json.loads(files.read("imported_identities.json"))
    assert identities == [{"site": "https://jira.example.test", "external_id": f"5b10a2844c20165700ede{person.user_id}"}]
    report = ok(client.post(f"/v2/users/{person.user_id}/erase", json={"confirm": person.email}, headers=org.headers))
    assert report["imported_identities_deleted"] == 1
    left = fetch_rows(database_url, "SELECT organization_id, local_id FROM import_mappings WHERE kind = 'user' "
                                    "AND local_id IN (:a, :b)", {"a": person.user_id, "b": twin.user_id})
    assert left == [{"organization_id": other_org.organization_id, "local_id": twin.user_id}]
