"""The `tessera` command. Each command is a thin wrapper over domain services."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tessera.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

    from tessera.db.engine import Database

T = TypeVar("T")

database_option = click.option("--database-url", envvar="TESSERA_DATABASE_URL", default=None,
                               help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB (default: ./data/tessera.db)")
redis_option = click.option("--redis-url", envvar="TESSERA_REDIS_URL", default=None, help="redis://HOST:PORT/DB")


def _settings(database_url: str | None, redis_url: str | None = None) -> Settings:
    return Settings.from_env(database_url=database_url, redis_url=redis_url)


def _fail(settings: Settings, error: OSError | DBAPIError) -> NoReturn:
    """Say what failed: the database, or a file of the installation (which is not the database's fault).

    A connection that cannot be made is an OSError without a file name; a file that cannot be
    read (a resource missing from a broken install, say) names its file.
    """
    if isinstance(error, OSError) and error.filename is not None:
        click.echo(f"error: cannot read {error.filename}: {error.strerror or error}", err=True)
        sys.exit(2)
    where = settings.database_url.split("@")[-1]
    click.echo(f"error: cannot use the database at {where}: {str(error).splitlines()[0][:300]}", err=True)
    sys.exit(2)


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    from sqlalchemy.exc import DBAPIError

    from tessera.audit.chain import install_audit_log
    from tessera.db.engine import Database
    from tessera.errors import TesseraError

    async def main() -> T:
        database = Database(settings)
        install_audit_log(database)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except TesseraError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(2)
    except (OSError, DBAPIError) as error:
        _fail(settings, error)


def _migrate(settings: Settings) -> None:
    from sqlalchemy.exc import DBAPIError

    from tessera.migrate import upgrade_database

    try:
        upgrade_database(settings.database_url)
    except (OSError, DBAPIError) as error:
        _fail(settings, error)


class LazyGroup(click.Group):
    """A group whose subcommands in other modules are imported only when used.

    Why: those modules import most of the application (the importer, mail in, the delivery
    views), which cost every command, `--version` included, about two seconds of start-up.
    """

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands or {}  # name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_commands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            module, attribute = self.lazy_commands[cmd_name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy_commands={
    "deliveries": "tessera.cli.deliveries:deliveries",
    "mail-in": "tessera.cli.mail_in:mail_in",
    "import": "tessera.cli.importing:import_group",
    "audit": "tessera.cli.audit:audit",
    "gdpr": "tessera.cli.gdpr:gdpr",
})
@click.version_option(package_name="tessera")
def cli() -> None:
    """Tessera: a Jira-class ticketing system."""
    logging.basicConfig(level=os.environ.get("TESSERA_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _install_development_facts() -> None:
    """JQL's development[...] for the commands that evaluate JQL (`jql`, and the worker's webhook
    and notification filters); the others skip its imports."""
    from tessera.integrations.development_facts import install_development_facts

    install_development_facts()


@cli.command()
@database_option
def migrate(database_url: str | None) -> None:
    """Apply schema migrations."""
    settings = _settings(database_url)
    _migrate(settings)
    click.echo(f"migrated {settings.database_url.split('@')[-1]}")


@cli.command("create-org")
@click.argument("key")
@click.option("--name", required=True)
@click.option("--admin-email", required=True)
@click.option("--admin-password", required=True)
@click.option("--admin-name", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print organization_id, organization_key, admin_user_id, api_token.")
@database_option
def create_org(key: str, name: str, admin_email: str, admin_password: str, admin_name: str | None, as_json: bool,
               database_url: str | None) -> None:
    """Create an organization with its first administrator."""
    from tessera.onboarding.organizations import check_create_organization

    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> Any:
        async with database.unit_of_work() as session:
            return await check_create_organization(session, key=key, name=name, admin_email=admin_email,
                                                   admin_password=admin_password, admin_name=admin_name)

    new = _run(settings, work)
    result = {"organization_id": new.organization.id, "organization_key": new.organization.key,
              "admin_user_id": new.admin.id, "api_token": new.api_token}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"Organization {new.organization.key} (id {new.organization.id}) created.\n"
                   f"Admin {admin_email} (user id {new.admin.id})\nAPI token: {new.api_token}")


@cli.command("create-user")
@click.option("--org", "org_key", required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", default=None)
@click.option("--role", type=click.Choice(["admin", "member", "viewer"]), default="member")
@click.option("--json", "as_json", is_flag=True, help="Print user_id and api_token.")
@database_option
def create_user(org_key: str, email: str, name: str, password: str | None, role: str, as_json: bool,
                database_url: str | None) -> None:
    """Create a user in an organization, with an API token."""
    from tessera.tenancy.service import check_create_user, load_organization_by_key

    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> Any:
        async with database.unit_of_work() as session:
            organization = await load_organization_by_key(session, org_key)
            return await check_create_user(session, organization=organization, email=email, display_name=name,
                                           password=password, role=role)

    new = _run(settings, work)
    if as_json:
        click.echo(json.dumps({"user_id": new.user.id, "api_token": new.api_token}))
    else:
        click.echo(f"User {new.user.email} (id {new.user.id}) created.\nAPI token: {new.api_token}")


@cli.command("rotate-secrets")
@database_option
def rotate_secrets(database_url: str | None) -> None:
    """Re-encrypt stored secrets (webhook signing secrets, Slack webhook URLs) under the current
    TESSERA_SECRET_KEY; the keys they were written under must be in TESSERA_PREVIOUS_SECRET_KEYS."""
    from tessera.crypto.secret_box import SecretBox
    from tessera.db.secret_columns import rotate_secret_column
    from tessera.notifications.slack.models import SlackTarget
    from tessera.webhooks.models import Webhook

    settings = _settings(database_url)
    box = SecretBox.from_settings(settings)
    unreadable = 0
    for label, id_column, secret_column in (("webhook secrets", Webhook.id, Webhook.secret_encrypted),
                                            ("Slack webhook URLs", SlackTarget.id, SlackTarget.url_encrypted)):
        report = _run(settings, lambda database, i=id_column, s=secret_column: rotate_secret_column(database, box, i, s))
        click.echo(f"{label}: {report.rotated} re-encrypted, {report.current} already current, "
                   f"{report.unreadable} unreadable")
        unreadable += report.unreadable
    if unreadable:
        sys.exit(1)


@cli.command("set-limits")
@click.argument("key")
@click.option("--requests-per-minute", type=click.IntRange(min=1), default=None)
@click.option("--searches-per-hour", type=click.IntRange(min=1), default=None)
@click.option("--max-users", type=click.IntRange(min=1), default=None)
@click.option("--storage-mb", "--storage-quota-mb", "storage_mb", type=click.IntRange(min=1), default=None,
              help="Attachment storage quota in MiB.")
@click.option("--json", "as_json", is_flag=True)
@database_option
def set_limits(key: str, requests_per_minute: int | None, searches_per_hour: int | None, max_users: int | None,
               storage_mb: int | None, as_json: bool, database_url: str | None) -> None:
    """Set an organization's rate limits and quotas (its tier's defaults otherwise)."""
    from tessera.tenancy.limits import check_set_limits
    from tessera.tenancy.service import load_organization_by_key

    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> Any:
        async with database.unit_of_work() as session:
            organization = await load_organization_by_key(session, key)
            return await check_set_limits(session, organization=organization,
                                          requests_per_minute=requests_per_minute,
                                          searches_per_hour=searches_per_hour, max_users=max_users,
                                          storage_mb=storage_mb)

    limits = _run(settings, work)
    values = {"organization_key": key.upper(), "requests_per_minute": limits.requests_per_minute,
              "searches_per_hour": limits.searches_per_hour, "max_users": limits.max_users,
              "storage_mb": limits.storage_mb}
    click.echo(json.dumps(values) if as_json else "\n".join(f"{k}: {v}" for k, v in values.items()))


@cli.command()
@click.option("--org", "org_key", default="DEMO", show_default=True)
@click.option("--issues", "issue_count", type=click.IntRange(min=0, max=100_000), default=300, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def demo(org_key: str, issue_count: int, as_json: bool, database_url: str | None) -> None:
    """Seed a realistic demo organization (idempotent: an existing one is left as it is)."""
    from tessera.demo.seed import seed_demo

    settings = _settings(database_url)
    _migrate(settings)
    result = _run(settings, lambda database: seed_demo(database, org_key=org_key, issues=issue_count))
    _print_demo(result, as_json)


def _print_demo(result: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict()))
        return
    state = "created" if result.created else "already present"
    click.echo(f"Demo organization {result.organization_key} {state}: {result.issue_count} issues.\n"
               f"  Sign in: {result.email} / {result.password}\n  API token: {result.api_token}")


@cli.command()
@click.option("--org", "org_key", required=True)
@click.option("--issues", "issue_count", type=click.IntRange(min=1, max=50_000_000), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--project", "project_keys", multiple=True, help="Load into this project only (repeatable).")
@click.option("--sprints", is_flag=True, help="Then plant two-week sprints, with their history, in each of "
                                              "the --project projects (for sprint reports at scale).")
@database_option
def load(org_key: str, issue_count: int, seed: int, project_keys: tuple[str, ...], sprints: bool,
         database_url: str | None) -> None:
    """Bulk-load N synthetic issues through the database's bulk paths (for benchmarks)."""
    from tessera.demo.bulk import bulk_load
    from tessera.demo.bulk_sprints import plant_sprints

    if sprints and not project_keys:
        raise click.UsageError("--sprints needs --project.")
    settings = _settings(database_url)
    _migrate(settings)
    echo = lambda text: click.echo(text, err=True)  # noqa: E731
    result = _run(settings, lambda database: bulk_load(database, org_key=org_key, issues=issue_count, seed=seed,
                                                       progress=echo, project_keys=project_keys))
    output = result.as_dict()
    for key in project_keys if sprints else ():
        planted = _run(settings, lambda database, key=key: plant_sprints(
            database, org_key=result.organization_key, project_key=key, seed=seed, progress=echo))
        output.setdefault("sprints", {})[key.upper()] = planted.as_dict()
    click.echo(json.dumps(output))


@cli.command()
@click.argument("query")
@click.option("--org", "org_key", required=True)
@click.option("--as", "as_email", default=None, help="Search as this user (default: the organization's admin).")
@click.option("--max-results", type=click.IntRange(min=0, max=1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print total and issues as JSON.")
@database_option
def jql(query: str, org_key: str, as_email: str | None, max_results: int, as_json: bool,
        database_url: str | None) -> None:
    """Run a JQL search and print the issues as a table."""
    from sqlalchemy import select

    from tessera.errors import InvalidInput, NotFound
    from tessera.issues.references import catalog_for
    from tessera.jql.search import search_issues
    from tessera.tenancy.actor import Actor
    from tessera.tenancy.models import User
    from tessera.tenancy.permissions import administers
    from tessera.tenancy.service import (
        load_organization_by_key,
        normalize_email,
        users_by_id,
    )

    _install_development_facts()
    settings = _settings(database_url)

    async def work(database: Database) -> dict:
        async with database.unit_of_work(write=False) as session:
            organization = await load_organization_by_key(session, org_key)
            who = User.email == normalize_email(as_email) if as_email else User.role == "admin"
            user = await session.scalar(select(User).where(User.organization_id == organization.id, who,
                                                           User.active.is_(True)).order_by(User.id).limit(1))
            if user is None:
                raise NotFound(f"No active user {as_email} in {organization.key}." if as_email else
                               f"{organization.key} has no active administrator.")
            actor = Actor(organization_id=organization.id, user_id=user.id, email=user.email,
                          display_name=user.display_name, org_role=user.role, via="system",
                          organization_key=organization.key, catalog_version=organization.catalog_version)
            await administers(session, actor)
            try:
                page = await search_issues(session, actor=actor, jql=query, max_results=max_results)
            except InvalidInput as error:
                where = error.data
                if "line" in where and "line " not in error.message:
                    error.message += f" (line {where['line']}, column {where['column']})"
                raise
            catalog = await catalog_for(session, actor)
            people = await users_by_id(session, organization.id, {i.assignee_id for i in page.issues
                                                                  if i.assignee_id is not None})
            rows = [{"key": i.key, "type": catalog.issue_type(i.issue_type_id).name,
                     "status": catalog.status(i.status_id).name, "priority": catalog.priority(i.priority_id).name,
                     "assignee": people[i.assignee_id].display_name if i.assignee_id in people else "",
                     "summary": i.summary} for i in page.issues]
            return {"total": page.total, "start_at": page.start_at, "issues": rows}

    result = _run(settings, work)
    if as_json:
        click.echo(json.dumps(result))
        return
    _print_issue_table(result["issues"])
    click.echo(f"{len(result['issues'])} of {result['total']} issues")


def _print_issue_table(rows: list[dict]) -> None:
    columns = ("key", "type", "status", "priority", "assignee", "summary")
    cells = [[str(row[c]) if c != "summary" or len(row[c]) <= 60 else row[c][:59] + "…" for c in columns]
             for row in rows]
    widths = [max([len(c), *(len(r[n]) for r in cells)]) for n, c in enumerate(columns)]
    for line in [[c.upper() for c in columns], *cells]:
        click.echo("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1, max=64), default=1, show_default=True)
@click.option("--demo", "with_demo", is_flag=True, help="Seed the demo organization first and print its login.")
@database_option
@redis_option
def serve(host: str, port: int, workers: int, with_demo: bool, database_url: str | None,
          redis_url: str | None) -> None:
    """Serve the web UI and every API; applies migrations first."""
    from tessera.cli.serving import serve as serve_processes

    settings = _settings(database_url, redis_url)
    _migrate(settings)
    if with_demo:
        from tessera.demo.seed import seed_demo

        _print_demo(_run(settings, lambda database: seed_demo(database, org_key="DEMO", issues=300)), False)
    # Worker processes read their settings from the environment.
    os.environ["TESSERA_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        os.environ["TESSERA_REDIS_URL"] = settings.redis_url
    os.environ.setdefault("TESSERA_BASE_URL", f"http://{host}:{port}")
    # On the embedded SQLite default the server is the whole deployment: it delivers too (webhooks,
    # notifications). Elsewhere `tessera worker` processes do, unless this is set to true.
    os.environ.setdefault("TESSERA_RUN_WORKER_IN_SERVER", "true" if settings.is_sqlite else "false")
    click.echo(f"Tessera on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    serve_processes(host, port, workers)


@cli.command("vapid-keys")
@click.option("--json", "as_json", is_flag=True, help="Print private_key and public_key as JSON.")
def vapid_keys(as_json: bool) -> None:
    """Print a new VAPID key pair for Web Push, as environment variables to set on the server
    and the workers (keep the private key secret; changing it invalidates every subscription)."""
    from tessera.notifications.push.vapid import generate_vapid_keys

    keys = generate_vapid_keys()
    if as_json:
        click.echo(json.dumps({"private_key": keys.private_key, "public_key": keys.public_key}))
        return
    click.echo(f"TESSERA_VAPID_PRIVATE_KEY={keys.private_key}")
    click.echo(f"TESSERA_VAPID_PUBLIC_KEY={keys.public_key}")
    click.echo("TESSERA_VAPID_SUBJECT=mailto:admin@example.com")


@cli.command()
@database_option
@redis_option
@click.option("--once", is_flag=True, help="Process what is pending, then exit.")
@click.option("--metrics-port", type=click.IntRange(min=1, max=65535), default=None,
              help="Serve this worker's /metrics (its delivery counters) on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True,
              help="Off loopback, scrapers must send TESSERA_METRICS_TOKEN as a bearer token.")
def worker(database_url: str | None, redis_url: str | None, once: bool, metrics_port: int | None,
           metrics_host: str) -> None:
    """Run the delivery pipeline: fan outbox events out into deliveries and send them."""
    from contextlib import AsyncExitStack

    from tessera.edge.metrics import ProcessMetrics
    from tessera.edge.metrics_server import serve_metrics
    from tessera.live.publisher import LivePublisher
    from tessera.workers.registry import build_pipeline

    _install_development_facts()
    settings = _settings(database_url, redis_url)
    if metrics_port is not None and metrics_host not in ("127.0.0.1", "::1", "localhost") \
            and not settings.metrics_token:
        raise click.UsageError("--metrics-host off loopback needs TESSERA_METRICS_TOKEN.")
    _migrate(settings)

    async def work(database: Database) -> None:
        metrics = ProcessMetrics()
        pipeline = build_pipeline(settings, database, observer=metrics)
        # What the worker commits for live subscribers (the bell's NotificationAdded) reaches the
        # server processes through Redis.
        publisher = LivePublisher.attach(settings, database)
        if publisher is not None:
            await publisher.start()
        try:
            if once:
                await pipeline.drain()
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            async with AsyncExitStack() as stack:
                if metrics_port is not None:
                    await stack.enter_async_context(serve_metrics(database, metrics, host=metrics_host,
                                                                  port=metrics_port, token=settings.metrics_token))
                    click.echo(f"worker metrics on http://{metrics_host}:{metrics_port}/metrics", err=True)
                click.echo("worker started", err=True)
                await pipeline.run_forever(stop)
            click.echo("worker stopped", err=True)
        finally:
            await pipeline.aclose()
            if publisher is not None:
                await publisher.stop()

    _run(settings, work)
