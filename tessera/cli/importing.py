"""`tessera import jira`: a thin layer over tessera.importing.jira, with rich's progress bar
and tables for the dry run's mapping and the final report."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from tessera.cli.main import _migrate, _run, _settings, database_option
from tessera.db.engine import Database
from tessera.importing.jira.client import Auth, JiraClient
from tessera.importing.jira.live import attach, import_from_url
from tessera.importing.jira.pipeline import ImportReport, import_jira
from tessera.importing.jira.sources import file_source, project_exports
from tessera.issues.attachments.storage import ObjectStore, object_store_from_settings


@click.group("import")
def import_group() -> None:
    """Bring another tracker's data in."""


@import_group.command("jira")
@click.option("--org", "org_key", required=True, help="The organization to import into.")
@click.option("--url", default=None, help="A live Jira (Server, Data Center or Cloud), or another Tessera, to "
                                          "pull from.")
@click.option("--user", "--email", "user", default=None, envvar="TESSERA_IMPORT_JIRA_USER",
              help="With --url and --token: the account's email (Cloud) or user name (Server); basic auth.")
@click.option("--token", default=None, envvar="TESSERA_IMPORT_JIRA_TOKEN",
              help="With --url and --user: an API token (Cloud, Tessera) or password (Server). "
                   "Better in TESSERA_IMPORT_JIRA_TOKEN than on the command line.")
@click.option("--pat", default=None, envvar="TESSERA_IMPORT_JIRA_PAT",
              help="With --url: a personal access token, sent as a bearer token (Server and Data Center, "
                   "Tessera); or TESSERA_IMPORT_JIRA_PAT.")
@click.option("--api", type=click.Choice(["auto", "2", "3"]), default="auto", show_default=True,
              help="With --url: REST v2 (Server, Data Center) or v3 (Cloud, ADF bodies); auto reads serverInfo.")
@click.option("--rate", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="With --url: requests a second at most (a 429's Retry-After and 503s slow it further).")
@click.option("--page-size", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="With --url: issues a search page asks for.")
@click.option("--spool", type=click.Path(file_okay=False), default=None,
              help="With --url: the folder the pulled pages wait in until imported (default: under "
                   "~/.cache/tessera/jira-import); an interrupted pull resumes from it.")
@click.option("--attachments-from", default=None,
              help="With --file: the Jira site to download the attachments from (with --user and --token, "
                   "or --pat); without it an export's attachments are counted, not imported.")
@click.option("--attachments/--no-attachments", "with_attachments", default=True, show_default=True,
              help="With --url: download the attachments into Tessera's attachment store.")
@click.option("--attachment-max-mb", type=click.FloatRange(min=0), default=None,
              help="Attachments larger than this are skipped (and listed in the report); default: the "
                   "server's upload limit (TESSERA_ATTACHMENT_MAX_BYTES).")
@click.option("--max-pages", type=click.IntRange(min=1), default=None,
              help="With --url: stop the pull after this many pages (run again to go on).")
@click.option("--full", is_flag=True, help="With --url: read every issue again, not only those updated since "
                                           "the previous import.")
@click.option("--file", "files", multiple=True, type=click.Path(exists=True),
              help="Jira REST issue JSON (search result, array or JSON lines; .gz or plain), or a folder "
                   "of issue files (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print the mapping and what would be created; write nothing "
                                              "but the --mapping file.")
@click.option("--mapping", "mapping_file", default=None, type=click.Path(),
              help="With --dry-run: where to write the mapping to edit; otherwise the edited mapping to follow.")
@click.option("--project", "project_keys", multiple=True, help="Import this Jira project only (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the final report as JSON.")
@database_option
def jira(org_key: str, url: str | None, user: str | None, token: str | None, pat: str | None, api: str,
         rate: float, page_size: int, spool: str | None, attachments_from: str | None, with_attachments: bool,
         attachment_max_mb: float | None, max_pages: int | None, full: bool, files: tuple[str, ...],
         dry_run: bool, mapping_file: str | None, project_keys: tuple[str, ...], as_json: bool,
         database_url: str | None) -> None:
    """Import projects, issues and their history from Jira; resumable and idempotent."""
    if bool(url) == bool(files):
        raise click.UsageError("Give either --url (with --user and --token, or --pat) or --file.")
    if attachments_from and url:
        raise click.UsageError("--attachments-from goes with --file; --url downloads the attachments itself.")
    if full and not url:
        raise click.UsageError("--full goes with --url (an export is read whole anyway).")
    site = url or attachments_from
    if site and not (pat or (user and token)):
        raise click.UsageError(f"{'--url' if url else '--attachments-from'} needs --user and --token (basic auth) "
                               "or --pat (a personal access token), or TESSERA_IMPORT_JIRA_USER/_TOKEN/_PAT.")
    if site and not site.startswith(("http://", "https://")):
        raise click.UsageError("--url and --attachments-from take the site's address, such as "
                               "https://example.atlassian.net.")
    settings = _settings(database_url)
    _migrate(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line a request would drown the progress bar
    max_bytes = int(attachment_max_mb * 1024 * 1024) if attachment_max_mb is not None \
        else settings.attachment_max_bytes
    store = object_store_from_settings(settings) if (url and with_attachments) or attachments_from else None
    console = Console(stderr=True)
    with _Bar(console) as bar:
        if url:
            client = JiraClient(url, Auth(user=user, token=token, pat=pat), rate=rate)
            with client:
                pulled, maybe = _run(settings, lambda database: import_from_url(
                    database, client, org_key=org_key, api=None if api == "auto" else int(api),
                    project_keys=project_keys, spool=Path(spool) if spool else None, page_size=page_size,
                    max_pages=max_pages, dry_run=dry_run, mapping_file=mapping_file, progress=bar, store=store,
                    attachment_max_bytes=max_bytes, full=full))
            if maybe is None:
                bar.progress.stop()
                message = (f"pulled {pulled.issues:,} issues in {pulled.pages:,} pages into {pulled.spool}; "
                           "stopped at --max-pages: run the same command again to go on.")
                click.echo(json.dumps({"complete": False, "pages": pulled.pages, "issues_pulled": pulled.issues,
                                       "spool": str(pulled.spool)}) if as_json else message)
                return
            report = maybe
        else:
            client = JiraClient(attachments_from, Auth(user=user, token=token, pat=pat), rate=rate) \
                if attachments_from else None
            try:
                report = _run(settings, lambda database: _work(database, org_key, files, dry_run, mapping_file,
                                                               project_keys, bar, client, store, max_bytes))
            finally:
                if client is not None:
                    client.close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), default=str))
    else:
        _print_report(Console(), report, mapping_file)


async def _work(database: Database, org_key: str, files: tuple[str, ...], dry_run: bool,
                mapping_file: str | None, project_keys: tuple[str, ...], bar: _Bar, client: JiraClient | None,
                store: ObjectStore | None, max_bytes: int) -> ImportReport:
    report = await import_jira(database, org_key=org_key, source=lambda: file_source(files),
                               project_documents=project_exports(files), mapping_file=mapping_file, dry_run=dry_run,
                               project_keys=project_keys, progress=bar, attachments_follow=client is not None)
    if client is not None and store is not None and not dry_run:
        bar.note("attachments")
        await attach(database, client, store, report, (item.issue for item in file_source(files)),
                     text_format="wiki", max_bytes=max_bytes, rebase=True)
    return report


class _Bar:
    """The importer's progress (tessera.importing.jira.pipeline.Progress) as a rich bar."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(TextColumn("[bold]issues"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                 TimeRemainingColumn(), console=console, transient=False)
        self.task: Any = None
        self.pull_task: Any = None

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("import", total=total, counts="")

    def pulled(self, done: int, total: int | None) -> None:
        """The pull from a live site, before the import (Cloud's search tells no total)."""
        if self.pull_task is None:
            self.pull_task = self.progress.add_task("pull", total=total, counts="pulled")
        self.progress.update(self.pull_task, completed=done, total=total)

    def advance(self, done: int, counts: Counter) -> None:
        shown = ", ".join(f"{counts[k]:,} {k}" for k in ("created", "updated", "unchanged", "skipped") if counts[k])
        self.progress.update(self.task, completed=done, counts=shown)

    def note(self, message: str) -> None:
        self.progress.console.print(message)


def _print_report(console: Console, report: ImportReport, mapping_file: str | None) -> None:
    if report.dry_run:
        mapping = Table(title=f"Jira → Tessera mapping ({report.site})")
        for column in ("kind", "Jira", "Tessera", "detail"):
            mapping.add_column(column)
        for section in ("statuses", "issue_types", "priorities", "resolutions", "link_types", "custom_fields"):
            for name, entry in report.mapping[section].items():
                target = "(skipped)" if entry.get("skip") else entry["to"]
                detail = entry.get("category") or entry.get("type") or ""
                label = f"{entry['name']} ({name})" if section == "custom_fields" else name
                mapping.add_row(section, label, target, str(detail))
        console.print(mapping)
        counts = Table(title=f"What the import would create in {report.organization_key}")
        for column in ("kind", "create", "reuse (issues: imported before, updated if changed)"):
            counts.add_column(column)
        for kind, (new, reuse) in report.planned.items():
            counts.add_row(kind, f"{new:,}", f"{reuse:,}")
        console.print(counts)
        if mapping_file:
            console.print(f"Mapping written to {mapping_file}: edit it, then run again with --mapping {mapping_file}.")
    else:
        table = Table(title=f"Imported into {report.organization_key} from {report.site} in {report.seconds:.1f}s")
        table.add_column("what")
        table.add_column("count", justify="right")
        for what in ("created", "updated", "unchanged", "skipped"):
            table.add_row(f"issues {what}", f"{report.outcomes.get(what, 0):,}")
        for what in ("comments", "worklogs", "histories", "links", "parents", "attachments"):
            table.add_row(what, f"{getattr(report, what):,}")
        for kind, count in report.created.items():
            table.add_row(f"new {kind}", f"{count:,}")
        console.print(table)
    for reason, keys in report.skipped.items():
        more = f" and {len(keys) - 5:,} more" if len(keys) > 5 else ""
        console.print(f"skipped {len(keys):,}: {reason} ({', '.join(keys[:5])}{more})")
    for note in report.notes:
        console.print(f"note: {note}")
