"""`tessera import jira`: a thin layer over tessera.importing.jira, with rich's progress bar
and tables for the dry run's mapping and the final report."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from tessera.cli.main import _migrate, _run, _settings, database_option
from tessera.db.engine import Database
from tessera.importing.jira.pipeline import ImportReport, import_jira
from tessera.importing.jira.sources import file_source, project_exports


@click.group("import")
def import_group() -> None:
    """Bring another tracker's data in."""


@import_group.command("jira")
@click.option("--org", "org_key", required=True, help="The organization to import into.")
@click.option("--url", default=None, help="A live Jira (or Jira-compatible server) to pull from.")
@click.option("--email", default=None, help="With --url: the account's email (Cloud) or user name.")
@click.option("--token", default=None, help="With --url: an API token or a personal access token.")
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
def jira(org_key: str, url: str | None, email: str | None, token: str | None, files: tuple[str, ...],
         dry_run: bool, mapping_file: str | None, project_keys: tuple[str, ...], as_json: bool,
         database_url: str | None) -> None:
    """Import projects, issues and their history from Jira; resumable and idempotent."""
    if bool(url) == bool(files):
        raise click.UsageError("Give either --url (with --email and --token) or --file.")
    if url:
        raise click.UsageError("--url: importing from a live Jira is not available in this version; "
                               "export the issues as JSON and use --file.")
    settings = _settings(database_url)
    _migrate(settings)
    console = Console(stderr=True)
    with _Bar(console) as bar:
        report = _run(settings, lambda database: _work(database, org_key, files, dry_run, mapping_file,
                                                       project_keys, bar))
    if as_json:
        click.echo(json.dumps(report.as_dict(), default=str))
    else:
        _print_report(Console(), report, mapping_file)


async def _work(database: Database, org_key: str, files: tuple[str, ...], dry_run: bool,
                mapping_file: str | None, project_keys: tuple[str, ...], bar: _Bar) -> ImportReport:
    return await import_jira(database, org_key=org_key, source=lambda: file_source(files),
                             project_documents=project_exports(files), mapping_file=mapping_file, dry_run=dry_run,
                             project_keys=project_keys, progress=bar)


class _Bar:
    """The importer's progress (tessera.importing.jira.pipeline.Progress) as a rich bar."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(TextColumn("[bold]issues"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                 TimeRemainingColumn(), console=console, transient=False)
        self.task: Any = None

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("import", total=total, counts="")

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
        for what in ("comments", "worklogs", "histories", "links", "parents"):
            table.add_row(what, f"{getattr(report, what):,}")
        for kind, count in report.created.items():
            table.add_row(f"new {kind}", f"{count:,}")
        console.print(table)
    for reason, keys in report.skipped.items():
        more = f" and {len(keys) - 5:,} more" if len(keys) > 5 else ""
        console.print(f"skipped {len(keys):,}: {reason} ({', '.join(keys[:5])}{more})")
    for note in report.notes:
        console.print(f"note: {note}")
