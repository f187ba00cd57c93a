"""`tessera audit verify|export|retention|purge --org KEY`: the operator's tools for an
organization's hash-chained audit log (tessera.audit)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from tessera.audit.chain import record
from tessera.audit.queries import export_lines
from tessera.audit.retention import MAX_RETENTION_DAYS, purge_expired, set_retention
from tessera.audit.verify import Verdict, verify_chain
from tessera.cli.main import _migrate, _run, _settings, database_option
from tessera.db.engine import Database
from tessera.tenancy.service import load_organization_by_key

org_option = click.option("--org", "org_key", required=True, help="The organization's key.")


@click.group()
def audit() -> None:
    """Verify, export and keep an organization's audit log."""


@audit.command("verify")
@org_option
@database_option
def verify_command(org_key: str, database_url: str | None) -> None:
    """Check the chain; exit status 0 only when it holds, else 1 naming the first bad sequence."""
    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> Verdict:
        async with database.unit_of_work(write=False) as session:
            organization = await load_organization_by_key(session, org_key)
            return await verify_chain(session, organization.id)

    verdict = _run(settings, work)
    click.echo(f"{org_key.upper()}: {verdict.describe()}")
    sys.exit(0 if verdict.ok else 1)


@audit.command("export")
@org_option
@click.option("--since", type=click.DateTime(), default=None, help="Records at or after this date (UTC).")
@database_option
def export_command(org_key: str, since: datetime | None, database_url: str | None) -> None:
    """Write the records as JSON lines to standard output, oldest first. The export is recorded."""
    settings = _settings(database_url)
    _migrate(settings)
    since_utc = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since

    async def work(database: Database) -> None:
        # One writing transaction: the export's own record commits with it, or neither happens.
        async with database.unit_of_work() as session:
            organization = await load_organization_by_key(session, org_key)
            count = 0
            async for line in export_lines(session, organization_id=organization.id, since=since_utc):
                sys.stdout.write(line + "\n")
                count += 1
            record(session, organization_id=organization.id, action="audit.exported", object_type="organization",
                   object_id=organization.id, object_key=organization.key,
                   changes={"via": "cli", "since": since_utc.isoformat() if since_utc else None, "records": count})

    _run(settings, work)


@audit.command("retention")
@org_option
@click.option("--days", type=click.IntRange(min=1, max=MAX_RETENTION_DAYS), default=None,
              help="Keep records this many days.")
@click.option("--forever", is_flag=True, help="Keep every record (the default).")
@database_option
def retention_command(org_key: str, days: int | None, forever: bool, database_url: str | None) -> None:
    """Set how long the organization keeps its audit records."""
    if (days is None) == (not forever):
        raise click.UsageError("Give --days N or --forever.")
    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> None:
        async with database.unit_of_work() as session:
            organization = await load_organization_by_key(session, org_key)
            await set_retention(session, organization_id=organization.id, days=days)

    _run(settings, work)
    click.echo(f"{org_key.upper()}: audit records kept " + (f"{days} days" if days else "for ever"))


@audit.command("purge")
@org_option
@database_option
def purge_command(org_key: str, database_url: str | None) -> None:
    """Delete the records older than the organization's retention; the chain stays verifiable."""
    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> int:
        async with database.unit_of_work() as session:
            organization = await load_organization_by_key(session, org_key)
            return await purge_expired(session, organization_id=organization.id)

    click.echo(f"{org_key.upper()}: {_run(settings, work)} audit records purged")
