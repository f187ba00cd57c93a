"""An event a Git host posted to a connection's URL: verified, remembered, read and applied.

Order matters: the signature is checked on the raw bytes before anything is parsed or written;
the delivery id is remembered in the same transaction as the event's effects, so a replay is
refused and a failed event (rolled back) may be re-sent. Everything runs inline: one push of a
few commits is a handful of indexed writes (bench/git_inbound.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.crypto.secret_box import SecretBox, UnreadableSecret
from tessera.db.base import utcnow
from tessera.db.insert_ignoring import insert_ignoring
from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.integrations.git.linking import link_pull_request, link_push
from tessera.integrations.git.models import GitConnection, GitDeliverySeen
from tessera.integrations.git.payloads import Push, read_events
from tessera.integrations.git.signatures import SignatureRefused, check_signature, delivery_id, event_name


@dataclass
class Received:
    events: int = 0
    linked: dict[str, int] = field(default_factory=lambda: {"branches": 0, "commits": 0, "pull_requests": 0})
    ignored: str | None = None


def _payload(body: bytes, content_type: str) -> object:
    """JSON, or GitHub's form encoding (`payload=<json>`)."""
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            text = parse_qs(body.decode(), strict_parsing=False).get("payload", [""])[0]
        else:
            text = body.decode()
        return json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("The body is not JSON.", code="malformed_json") from None


async def _remember(session: AsyncSession, connection: GitConnection, delivery: str) -> None:
    dialect = session.get_bind().dialect.name
    result = await session.execute(insert_ignoring(dialect, GitDeliverySeen.__table__,
                                                   index_elements=["connection_id", "delivery_id"]).values(
        organization_id=connection.organization_id, connection_id=connection.id, delivery_id=delivery,
        received_at=utcnow()))
    if result.rowcount == 0:
        raise Conflict(f"Delivery {delivery} was received already; a replay is refused.", code="replayed_delivery")


async def receive_event(session: AsyncSession, *, connection_ref: object, body: bytes, headers: Mapping[str, str],
                        box: SecretBox) -> Received:
    """`headers`: looked up by lower-case name (Starlette's Headers are)."""
    connection_id = parse_id(connection_ref)
    connection = None if connection_id is None else await session.get(GitConnection, connection_id)
    if connection is None:
        raise NotFound("No Git connection at this URL.")
    try:
        secret = box.decrypt(connection.secret_encrypted)
    except UnreadableSecret:
        raise SignatureRefused("This connection's secret cannot be read by the server; set a new one.") from None
    check_signature(connection.provider, secret, body, headers)
    delivery, event = delivery_id(connection.provider, headers), event_name(connection.provider, headers)
    if not delivery or len(delivery) > 200:
        raise InvalidInput("The request names no delivery (its id header is missing or too long).", field="delivery")
    if not event:
        raise InvalidInput("The request names no event type.", field="event")
    payload = _payload(body, headers.get("content-type", ""))
    await _remember(session, connection, delivery)
    received = Received()
    for item in read_events(connection.provider, event, payload):
        if connection.repository and item.repository.casefold() != connection.repository.casefold():
            received.ignored = f"Events of {item.repository} are not this connection's ({connection.repository})."
            continue
        received.events += 1
        if isinstance(item, Push):
            counts = await link_push(session, connection=connection, push=item)
        else:
            counts = await link_pull_request(session, connection=connection, pull=item)
        for section, count in counts.items():
            received.linked[section] += count
    return received

