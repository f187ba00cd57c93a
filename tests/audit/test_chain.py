"""The audit chain on SQLite and PostgreSQL: records written in the transaction they record (and
dropped with it), chained per organization; `tessera audit verify` holds on an intact chain and
names the first bad sequence of an edited, a deleted and a reordered record; two concurrent
writers never fork the chain; retention purges without breaking it; export writes JSON lines
and is itself recorded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from tessera.audit.chain import install_audit_log, record
from tessera.audit.retention import purge_expired, set_retention
from tessera.audit.verify import verify_chain
from tessera.cli.main import cli
from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tests.support import OrgHandle, fetch_rows


@asynccontextmanager
async def audited(database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=database_url))
    install_audit_log(database)
    try:
        yield database
    finally:
        await database.dispose()


async def _write(database: Database, organization_id: int, count: int, action: str = "test.did") -> None:
    for number in range(count):
        async with database.unit_of_work() as session:
            record(session, organization_id=organization_id, action=action, object_type="thing",
                   object_id=number + 1, changes={"n": {"from": number, "to": number + 1}, "password": "hunter22"})


def write(database_url: str, organization_id: int, count: int) -> None:
    async def run() -> None:
        async with audited(database_url) as database:
            await _write(database, organization_id, count)
    asyncio.run(run())


def tamper(database_url: str, *statements: str) -> None:
    async def run() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                for statement in statements:
                    await session.execute(text(statement))
        finally:
            await database.dispose()
    asyncio.run(run())


def audit_cli(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["audit", *args, "--database-url", database_url], catch_exceptions=False)


def records(database_url: str, organization_id: int) -> list[dict]:
    return fetch_rows(database_url, "SELECT * FROM audit_records WHERE organization_id = :o ORDER BY sequence",
                      {"o": organization_id})


def test_records_chain_in_order_redacted_and_verify_holds(database_url: str, org: OrgHandle,
                                                          other_org: OrgHandle) -> None:
    write(database_url, org.organization_id, 3)
    write(database_url, other_org.organization_id, 1)
    rows = records(database_url, org.organization_id)
    assert [row["sequence"] for row in rows] == [1, 2, 3]
    assert rows[0]["previous_hash"] == ""
    assert [row["previous_hash"] for row in rows[1:]] == [row["hash"] for row in rows[:-1]]
    changes = rows[0]["changes"] if isinstance(rows[0]["changes"], dict) else json.loads(rows[0]["changes"])
    assert changes == {"n": {"from": 0, "to": 1}, "password": "[redacted]"}
    # Each organization has a chain of its own, starting at 1.
    assert [row["sequence"] for row in records(database_url, other_org.organization_id)] == [1]
    result = audit_cli(database_url, "verify", "--org", org.key.lower())
    assert result.exit_code == 0, result.output
    assert f"{org.key}: chain holds: 3 records checked (sequences 1..3)" in result.output


def test_a_rolled_back_transaction_leaves_no_record(database_url: str, org: OrgHandle) -> None:
    async def run() -> None:
        async with audited(database_url) as database:
            with pytest.raises(RuntimeError):
                async with database.unit_of_work() as session:
                    record(session, organization_id=org.organization_id, action="test.never")
                    raise RuntimeError("the change fails")
    asyncio.run(run())
    assert records(database_url, org.organization_id) == []


@pytest.mark.parametrize(("how", "problem", "bad"), [
    ("edit", "edited", 3),
    ("edit_and_rehash", "edited", 3),
    ("delete", "deleted", 3),
    ("delete_last", "deleted", 5),
    ("swap", "reordered", 2),
])
def test_verify_names_the_first_bad_sequence(database_url: str, org: OrgHandle, how: str, problem: str,
                                             bad: int) -> None:
    write(database_url, org.organization_id, 5)
    where = f"organization_id = {org.organization_id}"
    rows = {row["sequence"]: row for row in records(database_url, org.organization_id)}
    if how == "edit":
        tamper(database_url, f"UPDATE audit_records SET action = 'test.innocent' WHERE {where} AND sequence = 3")
    elif how == "edit_and_rehash":
        # A forger who also rewrites the edited record's hash breaks the link from the next one.
        tamper(database_url, f"UPDATE audit_records SET hash = '{'0' * 64}' WHERE {where} AND sequence = 3")
    elif how == "delete":
        tamper(database_url, f"DELETE FROM audit_records WHERE {where} AND sequence = 3")
    elif how == "delete_last":
        tamper(database_url, f"DELETE FROM audit_records WHERE {where} AND sequence = 5")
    else:  # two records trade places: their sequence numbers swapped
        tamper(database_url, f"UPDATE audit_records SET sequence = -1 WHERE {where} AND sequence = 2",
               f"UPDATE audit_records SET sequence = 2 WHERE {where} AND sequence = 3",
               f"UPDATE audit_records SET sequence = 3 WHERE {where} AND sequence = -1")
    result = audit_cli(database_url, "verify", "--org", org.key)
    assert result.exit_code == 1, result.output
    assert f"chain broken at sequence {bad}: {problem}:" in result.output
    if how == "swap":
        assert "stored as sequence 2 was written as 3" in result.output
    assert rows  # the chain was whole before


def test_concurrent_writers_never_fork_the_chain(database_url: str, org: OrgHandle) -> None:
    """Two writers (two engines, as two processes would have) append at once; on PostgreSQL
    their transactions truly overlap, on SQLite they queue on the write lock."""
    async def run() -> None:
        async with audited(database_url) as first, audited(database_url) as second:
            await asyncio.gather(_write(first, org.organization_id, 15, "test.first"),
                                 _write(second, org.organization_id, 15, "test.second"))
            async with first.unit_of_work(write=False) as session:
                verdict = await verify_chain(session, org.organization_id)
            assert verdict.ok, verdict.describe()
    asyncio.run(run())
    rows = records(database_url, org.organization_id)
    assert [row["sequence"] for row in rows] == list(range(1, 31))
    assert {row["action"] for row in rows} == {"test.first", "test.second"}
    assert len({row["previous_hash"] for row in rows}) == 30


def test_retention_purges_and_the_chain_stays_verifiable(database_url: str, org: OrgHandle) -> None:
    write(database_url, org.organization_id, 4)

    async def purge() -> int:
        async with audited(database_url) as database:
            async with database.unit_of_work() as session:
                await set_retention(session, organization_id=org.organization_id, days=1)
            async with database.unit_of_work() as session:
                # Two days on, everything written so far is older than a day.
                return await purge_expired(session, organization_id=org.organization_id,
                                           now=utcnow() + timedelta(days=2))
    assert asyncio.run(purge()) == 5  # the four and the retention change
    write(database_url, org.organization_id, 2)
    kept = records(database_url, org.organization_id)
    assert [row["action"] for row in kept] == ["audit.purged", "test.did", "test.did"]
    assert kept[0]["sequence"] == 6
    result = audit_cli(database_url, "verify", "--org", org.key)
    assert result.exit_code == 0, result.output
    assert "3 records checked (sequences 6..8)" in result.output
    # Deleting the first kept record is still seen, against the checkpoint.
    tamper(database_url, f"DELETE FROM audit_records WHERE organization_id = {org.organization_id} AND sequence = 6")
    broken = audit_cli(database_url, "verify", "--org", org.key)
    assert broken.exit_code == 1 and "chain broken at sequence 6: deleted" in broken.output


def test_export_writes_json_lines_since_a_date_and_is_recorded(database_url: str, org: OrgHandle,
                                                              other_org: OrgHandle) -> None:
    write(database_url, org.organization_id, 2)
    write(database_url, other_org.organization_id, 3)
    result = audit_cli(database_url, "export", "--org", org.key)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["sequence"] for line in lines] == [1, 2]
    assert lines[1]["previous_hash"] == lines[0]["hash"] and lines[0]["action"] == "test.did"
    assert lines[0]["object"] == {"type": "thing", "id": 1, "key": None}
    later = audit_cli(database_url, "export", "--org", org.key, "--since",
                      (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d"))
    assert later.exit_code == 0 and later.output == ""
    exported = records(database_url, org.organization_id)[-2:]
    assert [row["action"] for row in exported] == ["audit.exported", "audit.exported"]
    assert audit_cli(database_url, "verify", "--org", org.key).exit_code == 0
    unknown = audit_cli(database_url, "verify", "--org", "NOSUCHORG")
    assert unknown.exit_code == 2 and "Organization 'NOSUCHORG' does not exist." in unknown.output


def test_one_transaction_chains_several_records_of_several_organizations(database_url: str, org: OrgHandle,
                                                                         other_org: OrgHandle) -> None:
    write(database_url, org.organization_id, 1)

    async def run() -> None:
        async with audited(database_url) as database:
            async with database.unit_of_work() as session:
                for organization_id in (other_org.organization_id, org.organization_id, org.organization_id):
                    record(session, organization_id=organization_id, action="test.batch")
            async with database.unit_of_work(write=False) as session:
                for organization_id in (org.organization_id, other_org.organization_id):
                    verdict = await verify_chain(session, organization_id)
                    assert verdict.ok, verdict.describe()
    asyncio.run(run())
    assert [(row["sequence"], row["action"]) for row in records(database_url, org.organization_id)] == [
        (1, "test.did"), (2, "test.batch"), (3, "test.batch")]
    assert [row["sequence"] for row in records(database_url, other_org.organization_id)] == [1]
