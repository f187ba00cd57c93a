"""One SMTP connection of the email sender: opened on first use, kept open across batches and
opened again when the server dropped it; PIPELINING (tessera.notifications.email.pipelining) when
the server offers it, aiosmtplib's one command at a time otherwise.

Outcomes per message: accepted (250) is delivered; a 5xx answer to the recipient or to the
message itself is permanent, since sending the same mail again gets the same answer; a 4xx
answer (greylisting, a full mailbox, a rate limit) is retried with backoff. A refusal that
concerns the connection (authentication or STARTTLS required, our sender address refused:
configuration to fix) and an unreachable server raise Unreachable: the rest of the batch would
meet the same, so the sender fails it at once instead of one timeout each."""

from __future__ import annotations

import ssl

import aiosmtplib

from tessera.delivery.engine import Outcome
from tessera.notifications.email.pipelining import PipelinedSession
from tessera.notifications.email.smtp_url import SmtpConfig

_CONNECTION_LOST = (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError,
                    ConnectionError)


class Unreachable(Exception):
    """The SMTP server could not be reached (or dropped us twice in a row), or refused the session."""


class SmtpConnection:
    def __init__(self, config: SmtpConfig, *, tls_context: ssl.SSLContext | None, timeout: float,
                 pipelining: bool) -> None:
        self.config = config
        self.tls_context = tls_context
        self.timeout = timeout
        self.pipelining = pipelining  # use it when the server offers it
        self.opened = 0  # how many times a connection was made (figures for the tests and the benchmark)
        self._smtp: aiosmtplib.SMTP | None = None
        self._pipe: PipelinedSession | None = None  # the same connection, taken over for PIPELINING

    @property
    def pipelined(self) -> bool:
        """Whether the open connection sends with PIPELINING."""
        return self._pipe is not None

    @property
    def is_open(self) -> bool:
        return self._smtp is not None and (self._pipe.is_open if self._pipe is not None else self._smtp.is_connected)

    async def open(self) -> aiosmtplib.SMTP:
        """The open connection, made (greeting, EHLO, STARTTLS, AUTH) when there is none."""
        if self._smtp is not None and self.is_open:
            return self._smtp
        await self.close()  # whatever is left of a lost connection
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
            raise Unreachable(f"SMTP server {config.hostname}:{config.port} unreachable: {error}") from error
        self.opened += 1
        self._smtp = smtp
        if self.pipelining and smtp.supports_extension("pipelining") and smtp.transport is not None:
            self._pipe = PipelinedSession(smtp.transport, timeout=self.timeout)  # type: ignore[arg-type]
        return smtp

    async def send(self, envelope_from: str, recipient: str, data: bytes) -> Outcome:
        """One message; its outcome, or Unreachable (see the module's docstring)."""
        for attempt in (1, 2):
            smtp = await self.open()
            try:
                if self._pipe is not None:
                    response = await self._pipe.send(envelope_from, recipient, data)
                else:
                    _, response = await smtp.sendmail(envelope_from, [recipient], data)
                return Outcome.delivered(250, response[:500])
            except aiosmtplib.SMTPRecipientsRefused as error:
                refused = error.recipients[0]
                return _refusal(refused.code, refused.message)
            except _CONNECTION_LOST as error:
                # A connection kept from the last batch may have been closed by the server while idle.
                await self.close()
                if attempt == 2:
                    raise Unreachable(f"SMTP connection lost: {error}") from error
            except aiosmtplib.SMTPDataError as error:
                return _refusal(error.code, error.message)
            except aiosmtplib.SMTPResponseException as error:
                # MAIL FROM refused, authentication or STARTTLS required: the server's
                # configuration or ours, not this message; it will go once that is fixed.
                await self.close()
                raise Unreachable(f"SMTP {error.code}: {error.message}"[:500]) from error
        raise AssertionError("unreachable")

    async def close(self, *, polite: bool = False) -> None:
        """`polite`: say QUIT first (shutting down), rather than just dropping the connection."""
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
