"""`tessera gdpr export|erase --org KEY --user EMAIL`: an operator's answer to a data subject's
request (tessera.gdpr). Both are recorded in the organization's audit log."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.cli.main import _migrate, _run, _settings, database_option
from tessera.db.engine import Database
from tessera.errors import NotFound
from tessera.gdpr.erase import ErasureReport, do_erase_user
from tessera.gdpr.export import do_export_user
from tessera.issues.attachments.storage import object_store_from_settings
from tessera.tenancy.models import Organization, User
from tessera.tenancy.service import load_organization_by_key, normalize_email

org_option = click.option("--org", "org_key", required=True, help="The organization's key.")
user_option = click.option("--user", "email", required=True, help="The user's email in that organization.")


async def _load(session: AsyncSession, org_key: str, email: str) -> tuple[Organization, User]:
    organization = await load_organization_by_key(session, org_key)
    user = await session.scalar(select(User).where(User.organization_id == organization.id,
                                                   User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"No user {email!r} in organization {organization.key}.")
    return organization, user


@click.group()
def gdpr() -> None:
    """Export or erase one user's personal data (GDPR)."""


@gdpr.command("export")
@org_option
@user_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The zip file to write (JSON files inside; see the README, 'Data rights').")
@database_option
def export_command(org_key: str, email: str, out: Path, database_url: str | None) -> None:
    """Write everything stored about the user as a zip of JSON files."""
    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> dict[str, int]:
        async with database.unit_of_work() as session:
            organization, user = await _load(session, org_key, email)
            archive = await do_export_user(session, organization=organization, user=user, via="cli")
            out.write_bytes(archive.to_zip())
            return archive.counts

    counts = _run(settings, work)
    click.echo(f"{out}: " + ", ".join(f"{name} ({count})" for name, count in sorted(counts.items())))


@gdpr.command("erase")
@org_option
@user_option
@click.option("--yes", is_flag=True, help="Confirm: the erasure cannot be undone.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@database_option
def erase_command(org_key: str, email: str, yes: bool, as_json: bool, database_url: str | None) -> None:
    """Anonymise the user everywhere in the organization; their issues, comments and history stay."""
    if not yes:
        raise click.UsageError("Erasing a user cannot be undone: add --yes to confirm.")
    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> ErasureReport:
        async with database.unit_of_work() as session:
            _, user = await _load(session, org_key, email)
            return await do_erase_user(session, user=user, actor_user_id=None, via="cli",
                                       store=object_store_from_settings(settings))

    report = _run(settings, work)
    if as_json:
        click.echo(json.dumps(report.view(), sort_keys=True))
    else:
        click.echo(f"{org_key.upper()}: user {report.user_id} erased, now {report.display_name!r} "
                   f"<{report.email}>; {report.audit_records_redacted} audit records redacted, "
                   f"{sum(report.rows_rewritten.values())} rows rewritten")
