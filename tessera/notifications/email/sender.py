"""The email sender: renders a batch of deliveries (one read transaction for all of them) and sends
them over SMTP connections kept open across batches (tessera.notifications.email.connection:
what each answer means, and reconnecting). When the server cannot be reached the rest of the
batch fails at once, not one timeout each.

When the server offers PIPELINING (RFC 2920; Postfix, Exim, Gmail and SES all do) a message
costs two round trips instead of four (tessera.notifications.email.pipelining) and one
connection carries the batch. A server that does not offer it answers one command at a time, so
a message waits for four round trips: the batch is then spread over up to LOCKSTEP_CONNECTIONS
connections sending side by side (the first one opened decides; a server that refuses the extra
connections is used over the ones it accepted). Messages of one batch may then arrive out of
order; mail threads by its headers, not by arrival. Figures: bench/notify_email.py."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, Outcome
from tessera.notifications.email.connection import SmtpConnection, Unreachable
from tessera.notifications.email.invitation import compose_invitations, is_invitation
from tessera.notifications.email.message import OutgoingMail, compose
from tessera.notifications.email.smtp_url import SmtpConfig
from tessera.notifications.render import RenderedNotification, load_notifications
from tessera.notifications.still_permitted import send_still_permitted

log = logging.getLogger("tessera.notifications.email")

# Connections to a server without PIPELINING: 4 cut a lockstep message's round trips by 4 while
# staying far below the per-client limits MTAs set (Postfix: 50 at once).
LOCKSTEP_CONNECTIONS = 4


class ReplyAddresses(Protocol):
    """Where replies to a mail about an issue should go (email in's signed reply addresses,
    tessera.integrations.mail_in.replies, which sits above this package)."""

    async def reply_addresses(self, session: AsyncSession, organization_id: int,
                              wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """(issue id, recipient id) -> address; pairs without one are left out."""
        ...


class EmailSender:
    """Registered for Channel.EMAIL. `tls_context` replaces the system's trust store (tests use a
    self-signed server certificate). `reply_addresses` gives mails about one issue a `Reply-To`."""

    def __init__(self, settings: Settings, database: Database, *, tls_context: ssl.SSLContext | None = None,
                 timeout: float = 30.0, lockstep_connections: int = LOCKSTEP_CONNECTIONS,
                 reply_addresses: ReplyAddresses | None = None) -> None:
        if not settings.smtp_url:
            raise ValueError("the email sender needs TESSERA_SMTP_URL")
        self.settings = settings
        self.database = database
        self.config = SmtpConfig.parse(settings.smtp_url)
        self.envelope_from = parseaddr(settings.mail_from)[1] or settings.mail_from
        self.tls_context = tls_context
        self.timeout = timeout
        self.pipelining = True  # use it when the server offers it (the benchmark compares both)
        self.lockstep_connections = max(1, lockstep_connections)
        self.reply_addresses = reply_addresses
        self._pool: list[SmtpConnection] = []
        self._lock = asyncio.Lock()  # one batch at a time on the kept connections

    async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        return await send_still_permitted(self.database, deliveries, self._send_all)

    @property
    def pipelined(self) -> bool:
        """Whether the first connection sends with PIPELINING."""
        return bool(self._pool) and self._pool[0].pipelined

    @property
    def connections_opened(self) -> int:
        """How many SMTP connections were made so far, reconnections included (tests, benchmark)."""
        return sum(connection.opened for connection in self._pool)

    async def aclose(self) -> None:
        async with self._lock:
            for connection in self._pool:
                await connection.close(polite=True)

    async def _send_all(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        messages = await self._compose_all(deliveries)
        outcomes: list[Outcome | None] = [m if isinstance(m, Outcome) else None for m in messages]
        queue = deque(index for index, message in enumerate(messages) if not isinstance(message, Outcome))
        unreachable: list[str] = []

        async def send_from(connection: SmtpConnection, *, first: bool) -> None:
            if not first:
                try:
                    await connection.open()
                except Unreachable as error:  # the server takes fewer connections: the others go on
                    log.info("an extra SMTP connection was refused (%s); sending over fewer", error)
                    return
            while queue and not unreachable:
                index = queue.popleft()
                message = messages[index]
                assert isinstance(message, OutgoingMail)
                try:
                    outcomes[index] = await connection.send(self.envelope_from, deliveries[index].target,
                                                            message.data)
                except Unreachable as error:
                    unreachable.append(str(error))
                    outcomes[index] = Outcome.failed(str(error))

        async with self._lock:
            if queue:
                first = self._connection(0)
                try:
                    await first.open()
                except Unreachable as error:
                    unreachable.append(str(error))
                # One connection decides: a pipelining server gets the whole batch on it.
                width = 1 if unreachable or first.pipelined else min(self.lockstep_connections, len(queue))
                await asyncio.gather(*(send_from(self._connection(n), first=n == 0) for n in range(width)))
        return [outcome if outcome is not None else Outcome.failed(unreachable[0] if unreachable else "not sent")
                for outcome in outcomes]

    def _connection(self, number: int) -> SmtpConnection:
        while len(self._pool) <= number:
            self._pool.append(SmtpConnection(self.config, tls_context=self.tls_context, timeout=self.timeout,
                                             pipelining=self.pipelining))
        return self._pool[number]

    async def _compose_all(self, deliveries: Sequence[ClaimedDelivery]) -> list[OutgoingMail | Outcome]:
        by_org: dict[int, list[int]] = {}
        invitations: list[int] = []
        for index, delivery in enumerate(deliveries):
            if is_invitation(delivery):
                invitations.append(index)
            else:
                by_org.setdefault(delivery.organization_id, []).append(index)
        messages: list[OutgoingMail | Outcome] = [Outcome.failed("not rendered", retry=False)] * len(deliveries)
        async with self.database.unit_of_work(write=False) as session:
            if invitations:
                composed = await compose_invitations(session, self.settings, [deliveries[i] for i in invitations])
                for index, message in zip(invitations, composed, strict=True):
                    messages[index] = message
            for organization_id, indexes in by_org.items():
                rendered = await load_notifications(
                    session, organization_id=organization_id, payloads=[deliveries[i].payload for i in indexes],
                    base_url=self.settings.base_url)
                replies = await self._reply_addresses(session, organization_id, rendered)
                for index, notification in zip(indexes, rendered, strict=True):
                    try:
                        messages[index] = compose(notification, delivery=deliveries[index], settings=self.settings,
                                                  reply_to=replies.get(_about(notification)))
                    except Exception as error:  # noqa: BLE001 - one bad payload fails itself, not the batch
                        log.exception("email delivery %s could not be rendered", deliveries[index].id)
                        messages[index] = Outcome.failed(f"rendering failed: {error}", retry=False)
        return messages

    async def _reply_addresses(self, session: AsyncSession, organization_id: int,
                               rendered: Sequence[RenderedNotification]) -> dict[tuple[int, int] | None, str]:
        wanted = {pair for notification in rendered if (pair := _about(notification)) is not None}
        if self.reply_addresses is None or not wanted:
            return {}
        return dict(await self.reply_addresses.reply_addresses(session, organization_id, wanted))


def _about(notification: RenderedNotification) -> tuple[int, int] | None:
    """(issue id, recipient id) of a mail about one issue: the ones a reply can comment on."""
    issue = notification.issue
    if (notification.kind != "issue" or issue is None or issue.id is None or not issue.exists
            or not notification.recipient_id):
        return None
    return issue.id, int(notification.recipient_id)
