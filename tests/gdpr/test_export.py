"""GET /v2/users/{id}/export and `tessera gdpr export`, on SQLite and PostgreSQL: the archive
holds the user's profile, issues, comments, worklogs, watches, votes, preferences, token and
session metadata (never a secret) and audit trail, nothing of another organization, and the
export itself is recorded."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from tessera.cli.main import cli
from tests.gdpr.world import make_footprint, unzip
from tests.support import OrgHandle, fetch_rows, make_user


def test_a_user_exports_everything_about_themselves_and_nothing_else(
        client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle, tmp_path: Path) -> None:
    world = make_footprint(client, database_url, org, other_org)
    # A token made with an Idempotency-Key: its answer, token included, is kept for repeats.
    made = client.post("/v2/myself/tokens", json={"name": "laptop"},
                       headers={**world.person.headers, "Idempotency-Key": "gdpr-export-token"})
    assert made.status_code == 201, made.text
    response = client.get(f"/v2/users/{world.person.user_id}/export", headers=world.person.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f"tessera-user-{world.person.user_id}.zip" in response.headers["content-disposition"]
    files = unzip(response.content)
    manifest = files["manifest.json"]
    assert manifest["format"] == "tessera-user-export" and manifest["user"]["id"] == world.person.user_id
    assert manifest["organization"]["key"] == org.key
    assert files["profile.json"]["email"] == world.person.email
    assert "password_hash" not in files["profile.json"]
    assert {issue["key"] for issue in files["issues.json"]} == {world.issue["key"], world.assigned["key"]}
    assert [c["body"] for c in files["comments.json"]] == ["The person's own comment"]
    assert [w["comment"] for w in files["worklogs.json"]] == ["An hour of the person's"]
    assert world.assigned["id"] in {w["issue_id"] for w in files["issue_watchers.json"]}
    assert [v["issue_id"] for v in files["issue_votes.json"]] == [world.assigned["id"]]
    assert files["notification_preferences.json"][0]["settings"]["own_changes"] is True
    tokens = files["api_tokens.json"]
    assert tokens and all("token_hash" not in token for token in tokens)
    actions = {record["action"] for record in files["audit.json"]}
    assert {"issue.created", "issue.comment_added", "issue.worklog_added"} <= actions, actions
    everything = json.dumps(files)
    assert world.person.token not in everything and made.json()["api_token"] not in everything
    assert "laptop" in {token["name"] for token in tokens}
    assert world.other_issue["key"] not in everything and "secret plans" not in everything
    assert all(row.get("organization_id", org.organization_id) == org.organization_id
               for name, rows in files.items() if isinstance(rows, list) for row in rows)
    assert manifest["files"]["comments.json"] == 1
    recorded = fetch_rows(database_url, "SELECT actor_user_id, object_id FROM audit_records "
                                        "WHERE organization_id = :o AND action = 'user.exported'",
                          {"o": org.organization_id})
    assert recorded == [{"actor_user_id": world.person.user_id, "object_id": world.person.user_id}]

    # The same archive from the command line (the email in any case).
    out = tmp_path / "person.zip"
    result = CliRunner().invoke(cli, ["gdpr", "export", "--org", org.key, "--user", world.person.email.upper(),
                                      "--out", str(out), "--database-url", database_url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "comments.json (1)" in result.output
    from_cli = unzip(out.read_bytes())
    assert from_cli["profile.json"]["id"] == world.person.user_id
    assert world.other_issue["key"] not in json.dumps(from_cli)
    unknown = CliRunner().invoke(cli, ["gdpr", "export", "--org", org.key, "--user", "nobody@nowhere.test",
                                       "--out", str(tmp_path / "x.zip"), "--database-url", database_url])
    assert unknown.exit_code == 2 and "No user" in unknown.output
    assert not (tmp_path / "x.zip").exists()


def test_only_the_user_or_an_administrator_may_export(client: TestClient, database_url: str, org: OrgHandle,
                                                      other_org: OrgHandle) -> None:
    member = make_user(database_url, org, role="member")
    other = make_user(database_url, org, role="member")
    refused = client.get(f"/v2/users/{other.user_id}/export", headers=member.headers)
    assert refused.status_code == 403, refused.text
    assert client.get(f"/v2/users/{member.user_id}/export", headers=org.headers).status_code == 200
    # Another organization's administrator: exactly like a user that does not exist.
    foreign = client.get(f"/v2/users/{member.user_id}/export", headers=other_org.headers)
    missing = client.get("/v2/users/987654321/export", headers=other_org.headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
