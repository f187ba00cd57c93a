"""`tessera deliveries list|show ID|retry ID|purge`: the operator's view of what leaves the system.

Without --org a command acts across organizations (the operator runs the deployment); every row
then names its organization's key, and so does every row with --org, so output of the two reads
the same. With --org, a delivery of another organization is not found."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.cli.main import _migrate, _run, _settings, database_option
from tessera.db.engine import Database
from tessera.delivery.models import Channel, DeliveryState
from tessera.delivery.operations import check_purge, check_retry_delivery
from tessera.delivery.queries import MAX_PAGE, access_delivery, attempts_of, check_filter, list_deliveries
from tessera.delivery.retention import purge_deliveries
from tessera.delivery.views import delivery_view, detail_view
from tessera.errors import TesseraError
from tessera.tenancy.service import load_organization_by_key, organization_keys

T = TypeVar("T")

org_option = click.option("--org", "org_key", default=None,
                          help="One organization's deliveries (default: every organization's).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
STATES = click.Choice([state.value for state in DeliveryState])


@click.group()
def deliveries() -> None:
    """Inspect, re-send and purge deliveries (webhook calls, mails, pushes)."""


async def _organization_id(session: AsyncSession, org_key: str | None) -> int | None:
    return None if org_key is None else (await load_organization_by_key(session, org_key)).id


async def _with_keys(session: AsyncSession, views: list[dict[str, Any]], organization_ids: list[int]) -> None:
    keys = await organization_keys(session, set(organization_ids))
    for view, organization_id in zip(views, organization_ids, strict=True):
        view["organization_key"] = keys.get(organization_id, f"#{organization_id}")


@deliveries.command("list")
@org_option
@click.option("--state", "states", type=STATES, multiple=True, help="Repeatable.")
@click.option("--channel", "channels", type=click.Choice([c.value for c in Channel]), multiple=True,
              help="Repeatable.")
@click.option("--target", default=None, help="Part of the target (a URL, an address).")
@click.option("--event", "event_type", default=None, help="An event type (issue_created, ...).")
@click.option("--since", type=click.DateTime(), default=None, help="Created at or after (UTC).")
@click.option("--until", type=click.DateTime(), default=None, help="Created at or before (UTC).")
@click.option("--limit", type=click.IntRange(min=1, max=MAX_PAGE), default=50, show_default=True)
@click.option("--cursor", default=None, help="The next_cursor a previous --json page printed.")
@json_option
@database_option
def list_command(org_key: str | None, states: tuple[str, ...], channels: tuple[str, ...], target: str | None,
                 event_type: str | None, since: datetime | None, until: datetime | None, limit: int,
                 cursor: str | None, as_json: bool, database_url: str | None) -> None:
    """List deliveries, newest first."""
    settings = _settings(database_url)
    _migrate(settings)
    where = _checked((lambda: check_filter(states=states, channels=channels, target=target,
                                                             event_type=event_type, since=since, until=until)))

    async def work(database: Database) -> dict[str, Any]:
        async with database.unit_of_work(write=False) as session:
            page = await list_deliveries(session, organization_id=await _organization_id(session, org_key),
                                         where=where, limit=limit, cursor=cursor)
            views = [delivery_view(d) for d in page.deliveries]
            await _with_keys(session, views, [d.organization_id for d in page.deliveries])
            return {"organization_key": org_key.upper() if org_key else None, "next_cursor": page.next_cursor,
                    "deliveries": views}

    result = _run(settings, work)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"Deliveries of {result['organization_key']}" if org_key else
               "Deliveries of every organization (operator's view)")
    _print_table(result["deliveries"])
    more = f"; more: --cursor {result['next_cursor']}" if result["next_cursor"] else ""
    click.echo(f"{len(result['deliveries'])} shown{more}")


@deliveries.command("show")
@click.argument("delivery_id", type=click.IntRange(min=1))
@org_option
@json_option
@database_option
def show_command(delivery_id: int, org_key: str | None, as_json: bool, database_url: str | None) -> None:
    """One delivery with its payload and every attempt."""
    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> dict[str, Any]:
        async with database.unit_of_work(write=False) as session:
            delivery = await access_delivery(session, organization_id=await _organization_id(session, org_key),
                                             delivery_id=delivery_id)
            view = detail_view(delivery, await attempts_of(session, delivery))
            await _with_keys(session, [view], [delivery.organization_id])
            return view

    view = _run(settings, work)
    if as_json:
        click.echo(json.dumps(view))
        return
    for name in ("id", "organization_key", "state", "channel", "event_type", "event_id", "target", "target_id",
                 "idempotency_key", "attempt_count", "next_attempt_at", "last_status", "last_error", "created",
                 "updated", "delivered"):
        click.echo(f"{name}: {'' if view[name] is None else view[name]}")
    click.echo("attempts:")
    for attempt in view["attempts"]:
        outcome = "ok" if attempt["ok"] else "failed"
        click.echo(f"  #{attempt['number']} {attempt['started']} {attempt['duration_ms']} ms {outcome} "
                   f"status={attempt['status_code'] or '-'} {_short(attempt['error'] or '', 80)}".rstrip())
        if attempt["response_snippet"]:
            click.echo(f"     response: {_short(attempt['response_snippet'], 100)}")


@deliveries.command("retry")
@click.argument("delivery_id", type=click.IntRange(min=1))
@org_option
@click.option("--force", is_flag=True, help="Send a delivered one again.")
@json_option
@database_option
def retry_command(delivery_id: int, org_key: str | None, force: bool, as_json: bool, database_url: str | None) -> None:
    """Put a failed or dead delivery back to pending, due now (its attempts are kept)."""
    settings = _settings(database_url)
    _migrate(settings)

    async def work(database: Database) -> dict[str, Any]:
        async with database.unit_of_work() as session:
            delivery = await access_delivery(session, organization_id=await _organization_id(session, org_key),
                                             delivery_id=delivery_id)
            return delivery_view(await check_retry_delivery(session, delivery=delivery, force=force))

    view = _run(settings, work)
    click.echo(json.dumps(view) if as_json else f"Delivery {view['id']} is {view['state']}, due now.")


@deliveries.command("purge")
@org_option
@click.option("--state", "states", type=STATES, multiple=True,
              help="Repeatable. Default: delivered and dead. pending, sending and failed need --force.")
@click.option("--older-than", "older_than_days", type=click.FloatRange(min=0), default=None,
              help="Only those created more than DAYS days ago.", metavar="DAYS")
@click.option("--force", is_flag=True, help="Allow purging deliveries still on their way.")
@json_option
@database_option
def purge_command(org_key: str | None, states: tuple[str, ...], older_than_days: float | None, force: bool,
                  as_json: bool, database_url: str | None) -> None:
    """Delete settled deliveries and their attempts."""
    settings = _settings(database_url)
    _migrate(settings)
    chosen, days = _checked((lambda: check_purge(states=states, older_than_days=older_than_days,
                                                                    force=force)))

    async def work(database: Database) -> int:
        async with database.unit_of_work(write=False) as session:
            organization_id = await _organization_id(session, org_key)
        # In chunks, a transaction each: a purge of millions does not stop the workers meanwhile.
        return await purge_deliveries(database, organization_id=organization_id, states=chosen, older_than_days=days)

    purged = _run(settings, work)
    where = org_key.upper() if org_key else "every organization"
    if as_json:
        click.echo(json.dumps({"purged": purged, "states": list(chosen), "older_than_days": days,
                               "organization_key": org_key.upper() if org_key else None}))
    else:
        age = f" older than {days:g} days" if days is not None else ""
        click.echo(f"Purged {purged} {'/'.join(chosen)} deliveries{age} of {where}.")


def _checked(check: Callable[[], T]) -> T:
    """A validation before any database work: its InvalidInput exits 2 with the message, as `_run`'s do."""
    try:
        return check()
    except TesseraError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(2)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _print_table(rows: list[dict[str, Any]]) -> None:
    columns = ("id", "organization_key", "state", "channel", "event_type", "attempt_count", "last_status",
               "created", "target")
    titles = ("ID", "ORG", "STATE", "CHANNEL", "EVENT", "ATTEMPTS", "STATUS", "CREATED", "TARGET")
    cells = [[_short("" if row[c] is None else str(row[c]), 60) for c in columns] for row in rows]
    widths = [max([len(title), *(len(r[n]) for r in cells)]) for n, title in enumerate(titles)]
    for line in [list(titles), *cells]:
        click.echo("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())
