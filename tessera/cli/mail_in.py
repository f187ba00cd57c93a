"""`tessera mail-in`: the inbound SMTP listener, and with --imap the IMAP poller, both turning
mail into issues and comments through tessera.integrations.mail_in."""

from __future__ import annotations

import asyncio
import signal

import click

from tessera.cli.main import _migrate, _run, _settings, database_option
from tessera.db.engine import Database
from tessera.integrations.mail_in.addresses import mail_in_domain
from tessera.integrations.mail_in.imap import run_imap_poller
from tessera.integrations.mail_in.smtp import start_smtp_server
from tessera.issues.attachments.storage import object_store_from_settings


@click.command("mail-in")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the SMTP listener binds.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=2525, show_default=True,
              help="SMTP port (25 needs privileges: put a relay or a port redirect in front).")
@click.option("--max-bytes", type=click.IntRange(min=1024), default=None,
              help="Largest message accepted (default: TESSERA_MAIL_IN_MAX_BYTES, 25 MiB).")
@click.option("--imap", "with_imap", is_flag=True, help="Also poll the mailbox at TESSERA_IMAP_URL.")
@click.option("--no-smtp", is_flag=True, help="Do not listen for SMTP (with --imap: only poll).")
@database_option
def mail_in(host: str, port: int, max_bytes: int | None, with_imap: bool, no_smtp: bool,
            database_url: str | None) -> None:
    """Receive mail: to <org key>-<project key>@<TESSERA_MAIL_IN_DOMAIN> it creates an issue; a
    reply to a notification adds a comment."""
    settings = _settings(database_url).with_overrides(mail_in_max_bytes=max_bytes)
    if no_smtp and not with_imap:
        raise click.UsageError("--no-smtp needs --imap: there would be nothing to do.")
    if with_imap and not settings.imap_url:
        raise click.UsageError("--imap needs TESSERA_IMAP_URL (imaps://user:password@host/INBOX).")
    _migrate(settings)

    async def work(database: Database) -> None:
        store = object_store_from_settings(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        server = None
        poller = None
        try:
            if not no_smtp:
                server = await start_smtp_server(database, store, settings, host=host, port=port)
                bound = server.sockets[0].getsockname()
                click.echo(f"mail-in listening on {bound[0]}:{bound[1]} for *@{mail_in_domain(settings)} "
                           f"(at most {settings.mail_in_max_bytes} bytes a message)", err=True)
            if with_imap:
                poller = asyncio.create_task(run_imap_poller(database, store, settings, stop))
            await stop.wait()
        finally:
            if server is not None:
                server.close()
                await server.wait_closed()
            if poller is not None:
                await poller
            await store.aclose()
        click.echo("mail-in stopped", err=True)

    _run(settings, work)
