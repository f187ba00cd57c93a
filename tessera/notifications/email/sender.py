"""The email sender: renders a batch of deliveries (one read transaction for all of them) and sends
them over one SMTP connection, kept open across batches and opened again when the server
dropped it.

Outcomes per message: accepted (250) is delivered; a 5xx answer to the recipient or to the
message itself is permanent, since sending the same mail again gets the same answer; a 4xx
answer (greylisting, a full mailbox, a rate limit), a refusal that concerns the connection
(authentication or STARTTLS required, our sender address refused: configuration to fix) and an
unreachable server are retried with backoff.
When the server cannot be reached the rest of the batch fails at once, not one timeout each.

When the server offers PIPELINING (RFC 2920; Postfix, Exim, Gmail and SES all do) a message
costs two round trips instead of four (tessera.notifications.email.pipelining); otherwise
aiosmtplib sends one command at a time. Figures: bench/notify_email.py."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence
from email.utils import parseaddr

import aiosmtplib

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, Outcome
from tessera.notifications.email.message import OutgoingMail, compose
from tessera.notifications.email.pipelining import PipelinedSession
from tessera.notifications.email.smtp_url import SmtpConfig
from tessera.notifications.render import load_notifications
from tessera.notifications.still_permitted import send_still_permitted

log = logging.getLogger("tessera.notifications.email")

_CONNECTION_LOST = (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError,
                    ConnectionError)


class _Unreachable(Exception):
    """The SMTP server could not be reached (or dropped us twice in a row)."""


class EmailSender:
    """Registered for Channel.EMAIL. `tls_context` replaces the system's trust store (tests use a
    self-signed server certificate)."""

    def __init__(self, settings: Settings, database: Database, *, tls_context: ssl.SSLContext | None = None,
                 timeout: float = 30.0) -> None:
        if not settings.smtp_url:
            raise ValueError("the email sender needs TESSERA_SMTP_URL")
        self.settings = settings
        self.database = database
        self.config = SmtpConfig.parse(settings.smtp_url)
        self.envelope_from = parseaddr(settings.mail_from)[1] or settings.mail_from
        self.tls_context = tls_context
        self.timeout = timeout
        self.connections_opened = 0  # for the benchmark and the tests' figures
        self._smtp: aiosmtplib.SMTP | None = None
        self._pipe: PipelinedSession | None = None  # the same connection, taken over for PIPELINING
        self.pipelining = True  # use it when the server offers it (the benchmark compares both)
        self._lock = asyncio.Lock()  # one SMTP conversation at a time on the shared connection

    async def send_batch(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        return await send_still_permitted(self.database, deliveries, self._send_all)

    async def _send_all(self, deliveries: Sequence[ClaimedDelivery]) -> list[Outcome]:
        messages = await self._compose_all(deliveries)
        outcomes: list[Outcome] = []
        async with self._lock:
            unreachable: str | None = None
            for delivery, message in zip(deliveries, messages, strict=True):
                if isinstance(message, Outcome):
                    outcomes.append(message)
                elif unreachable is not None:
                    outcomes.append(Outcome.failed(unreachable))
                else:
                    try:
                        outcomes.append(await self._send_one(delivery, message))
                    except _Unreachable as error:
                        unreachable = str(error)
                        outcomes.append(Outcome.failed(unreachable))
        return outcomes

    @property
    def pipelined(self) -> bool:
        """Whether the open connection sends with PIPELINING."""
        return self._pipe is not None

    async def aclose(self) -> None:
        async with self._lock:
            await self._discard(polite=True)

    async def _compose_all(self, deliveries: Sequence[ClaimedDelivery]) -> list[OutgoingMail | Outcome]:
        by_org: dict[int, list[int]] = {}
        for index, delivery in enumerate(deliveries):
            by_org.setdefault(delivery.organization_id, []).append(index)
        messages: list[OutgoingMail | Outcome] = [Outcome.failed("not rendered", retry=False)] * len(deliveries)
        async with self.database.unit_of_work(write=False) as session:
            for organization_id, indexes in by_org.items():
                rendered = await load_notifications(
                    session, organization_id=organization_id, payloads=[deliveries[i].payload for i in indexes],
                    base_url=self.settings.base_url)
                for index, notification in zip(indexes, rendered, strict=True):
                    try:
                        messages[index] = compose(notification, delivery=deliveries[index], settings=self.settings)
                    except Exception as error:  # noqa: BLE001 - one bad payload fails itself, not the batch
                        log.exception("email delivery %s could not be rendered", deliveries[index].id)
                        messages[index] = Outcome.failed(f"rendering failed: {error}", retry=False)
        return messages

    async def _send_one(self, delivery: ClaimedDelivery, message: OutgoingMail) -> Outcome:
        for attempt in (1, 2):
            smtp = await self._connection()
            try:
                if self._pipe is not None:
                    response = await self._pipe.send(self.envelope_from, delivery.target, message.data)
                else:
                    _, response = await smtp.sendmail(self.envelope_from, [delivery.target], message.data)
                return Outcome.delivered(250, response[:500])
            except aiosmtplib.SMTPRecipientsRefused as error:
                refused = error.recipients[0]
                return _refusal(refused.code, refused.message)
            except _CONNECTION_LOST as error:
                # A connection kept from the last batch may have been closed by the server while idle.
                await self._discard()
                if attempt == 2:
                    raise _Unreachable(f"SMTP connection lost: {error}") from error
            except aiosmtplib.SMTPDataError as error:
                return _refusal(error.code, error.message)
            except aiosmtplib.SMTPResponseException as error:
                # MAIL FROM refused, authentication or STARTTLS required: the server's
                # configuration or ours, not this message; it will go once that is fixed.
                # The rest of the batch would meet the same refusal.
                await self._discard()
                raise _Unreachable(f"SMTP {error.code}: {error.message}"[:500]) from error
        raise AssertionError("unreachable")

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and (self._pipe.is_open if self._pipe is not None else self._smtp.is_connected):
            return self._smtp
        await self._discard()  # whatever is left of a lost connection
        config = self.config
        smtp = aiosmtplib.SMTP(hostname=config.hostname, port=config.port, use_tls=config.use_tls,
                               start_tls=config.start_tls, username=config.username, password=config.password,
                               tls_context=self.tls_context, timeout=self.timeout)
        try:
            await smtp.connect()
            if smtp.last_ehlo_response is None:  # aiosmtplib says EHLO lazily; we need the extensions now
                try:
                    await smtp.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await smtp.helo()
        except (aiosmtplib.SMTPException, OSError) as error:
            raise _Unreachable(f"SMTP server {config.hostname}:{config.port} unreachable: {error}") from error
        self.connections_opened += 1
        self._smtp = smtp
        if self.pipelining and smtp.supports_extension("pipelining") and smtp.transport is not None:
            self._pipe = PipelinedSession(smtp.transport, timeout=self.timeout)  # type: ignore[arg-type]
        return smtp

    async def _discard(self, *, polite: bool = False) -> None:
        smtp, self._smtp = self._smtp, None
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            try:
                if polite and pipe.is_open:
                    await pipe.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass
            pipe.transport.close()
            return
        if smtp is None:
            return
        try:
            if polite and smtp.is_connected:
                await smtp.quit()
            else:
                smtp.close()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()


def _refusal(code: int, text: str) -> Outcome:
    return Outcome.failed(f"SMTP {code}: {text}"[:500], status_code=code, retry=not 500 <= code < 600)
