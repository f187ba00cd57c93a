"""`tessera deliveries list|show|retry|purge` through click's CliRunner against the real
databases (SQLite and PostgreSQL): one organization's view with --org, the operator's view
across organizations without it (every row labelled with its organization's key), tables and
JSON, the state rules of retry and purge, and errors as messages with exit status 2."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from click.testing import CliRunner, Result

from tessera.cli.main import cli
from tessera.db.base import utcnow
from tests.factories.deliveries import Planned, plant, states_async
from tests.support import OrgHandle


def run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["deliveries", *args, "--database-url", database_url], catch_exceptions=False)


def as_json(database_url: str, *args: str) -> dict:
    result = run(database_url, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_list_one_organization_or_every_one_labelled(database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    mine = plant(database_url, org.organization_id, Planned(state="dead"),
                 Planned(state="delivered", channel="email", target="ann@example.test"))
    theirs = plant(database_url, other_org.organization_id, Planned(state="dead"))
    page = as_json(database_url, "list", "--org", org.key.lower(), "--limit", "500")
    assert page["organization_key"] == org.key
    assert [d["id"] for d in page["deliveries"]] == mine[::-1]
    assert {d["organization_key"] for d in page["deliveries"]} == {org.key}
    everyone = as_json(database_url, "list", "--limit", "500")
    keys = {d["id"]: d["organization_key"] for d in everyone["deliveries"]}
    assert everyone["organization_key"] is None
    assert {keys[i] for i in mine} == {org.key} and keys[theirs[0]] == other_org.key
    dead_email = as_json(database_url, "list", "--org", org.key, "--state", "delivered", "--channel", "email")
    assert [d["id"] for d in dead_email["deliveries"]] == [mine[1]]

    table = run(database_url, "list")
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0] == "Deliveries of every organization (operator's view)"
    assert lines[1].split() == ["ID", "ORG", "STATE", "CHANNEL", "EVENT", "ATTEMPTS", "STATUS", "CREATED", "TARGET"]
    row = next(line for line in lines if line.startswith(f"{theirs[0]} "))
    assert row.split()[1:4] == [other_org.key, "dead", "webhook"]
    own = run(database_url, "list", "--org", org.key)
    assert own.output.splitlines()[0] == f"Deliveries of {org.key}" and other_org.key not in own.output
    assert own.output.splitlines()[-1] == "2 shown"


def test_list_pages_with_the_cursor(database_url: str, org: OrgHandle) -> None:
    planted = plant(database_url, org.organization_id, *[Planned() for _ in range(3)])
    first = as_json(database_url, "list", "--org", org.key, "--limit", "2")
    rest = as_json(database_url, "list", "--org", org.key, "--limit", "2", "--cursor", first["next_cursor"])
    assert [d["id"] for d in first["deliveries"] + rest["deliveries"]] == planted[::-1]
    assert rest["next_cursor"] is None
    table = run(database_url, "list", "--org", org.key, "--limit", "2")
    assert table.output.splitlines()[-1] == f"2 shown; more: --cursor {first['next_cursor']}"


def test_show_a_delivery_with_its_attempts(database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    [dead] = plant(database_url, org.organization_id, Planned(state="dead", attempts=2))
    shown = as_json(database_url, "show", str(dead))
    assert shown["organization_key"] == org.key and shown["state"] == "dead"
    assert [(a["number"], a["status_code"]) for a in shown["attempts"]] == [(1, 503), (2, 410)]
    text = run(database_url, "show", str(dead), "--org", org.key).output
    assert f"id: {dead}" in text and "state: dead" in text and "#2 " in text and "status=410" in text
    assert "response: gone" in text
    hidden = run(database_url, "show", str(dead), "--org", other_org.key)
    assert hidden.exit_code == 2 and "No delivery has that id." in hidden.output


def test_retry_follows_the_state_rules(database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    dead, delivered = plant(database_url, org.organization_id, Planned(state="dead"), Planned(state="delivered"))
    assert run(database_url, "retry", str(dead), "--org", other_org.key).exit_code == 2
    retried = run(database_url, "retry", str(dead), "--org", org.key)
    assert retried.exit_code == 0 and retried.output == f"Delivery {dead} is pending, due now.\n"
    refused = run(database_url, "retry", str(delivered))
    assert refused.exit_code == 2 and "with force" in refused.output
    forced = as_json(database_url, "retry", str(delivered), "--force")
    assert forced["state"] == "pending" and forced["attempt_count"] == 1
    assert asyncio.run(states_async(database_url, [dead, delivered])) == {dead: "pending", delivered: "pending"}


def test_purge_settled_ones_of_an_organization(database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    old = utcnow() - timedelta(days=10)
    mine = plant(database_url, org.organization_id, Planned(state="delivered", created_at=old),
                 Planned(state="dead", created_at=old), Planned(state="dead"), Planned(state="failed", created_at=old))
    theirs = plant(database_url, other_org.organization_id, Planned(state="dead", created_at=old))
    refused = run(database_url, "purge", "--org", org.key, "--state", "failed")
    assert refused.exit_code == 2 and "force" in refused.output
    purged = run(database_url, "purge", "--org", org.key, "--older-than", "7")
    assert purged.exit_code == 0, purged.output
    assert purged.output == f"Purged 2 delivered/dead deliveries older than 7 days of {org.key}.\n"
    assert asyncio.run(states_async(database_url, [*mine, *theirs])) == {
        mine[2]: "dead", mine[3]: "failed", theirs[0]: "dead"}
    forced = as_json(database_url, "purge", "--org", org.key, "--state", "failed", "--force")
    assert forced == {"purged": 1, "states": ["failed"], "older_than_days": None, "organization_key": org.key}


def test_bad_input_is_a_message_and_exit_status_2(database_url: str) -> None:
    unknown = run(database_url, "list", "--org", "NOSUCHORG")
    assert unknown.exit_code == 2 and "NOSUCHORG" in unknown.output and "Traceback" not in unknown.output
    bad_cursor = run(database_url, "list", "--cursor", "garbage!")
    assert bad_cursor.exit_code == 2 and "cursor" in bad_cursor.output
    assert run(database_url, "list", "--state", "lost").exit_code == 2  # click's own choice check
    assert run(database_url, "purge", "--older-than", "-1").exit_code == 2
    assert run(database_url, "show", "0").exit_code == 2
