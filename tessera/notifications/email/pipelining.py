"""SMTP PIPELINING (RFC 2920) on a connection aiosmtplib opened: aiosmtplib runs one command at a
time and its protocol cannot read several queued replies, so once it has done the greeting,
EHLO, STARTTLS and AUTH, and the server advertised PIPELINING, this protocol takes the transport
over (`transport.set_protocol`) and sends each message's MAIL, RCPT and DATA in one write: two
round trips a message instead of four.

Replies are parsed into a queue in order; a refusal raises the same aiosmtplib exception the
lockstep path raises (SMTPSenderRefused, SMTPRecipientsRefused, SMTPDataError), after an RSET
that leaves the session ready for the next message. A lost connection or a reply that does not
come within the timeout raises SMTPServerDisconnected / SMTPReadTimeoutError."""

from __future__ import annotations

import asyncio
import re
from collections import deque

from aiosmtplib import (
    SMTPDataError,
    SMTPReadTimeoutError,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPSenderRefused,
    SMTPServerDisconnected,
)

_DOT_LINE = re.compile(rb"^\.", re.MULTILINE)
_UNSAFE_ADDRESS = re.compile(r"[\r\n<>\x00]")
MAX_REPLY = 64 * 1024


class PipelinedSession(asyncio.Protocol):
    def __init__(self, transport: asyncio.Transport, *, timeout: float) -> None:
        self.transport = transport
        self.timeout = timeout
        self._buffer = bytearray()
        self._replies: deque[tuple[int, str]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._lost: Exception | None = None
        transport.set_protocol(self)

    @property
    def is_open(self) -> bool:
        return self._lost is None and not self.transport.is_closing()

    # asyncio.Protocol
    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (reply := self._parse_one()) is not None:
            self._replies.append(reply)
        if len(self._buffer) > MAX_REPLY:
            self._lose(SMTPServerDisconnected("the server's reply is too long"))
        self._wake()

    def eof_received(self) -> bool:
        self._lose(SMTPServerDisconnected("the server closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lose(SMTPServerDisconnected(f"connection lost: {exc}" if exc else "connection closed"))

    def _lose(self, error: Exception) -> None:
        if self._lost is None:
            self._lost = error
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _parse_one(self) -> tuple[int, str] | None:
        """One complete (possibly multi-line, "250-...") reply off the buffer's front."""
        offset, lines = 0, []
        while (end := self._buffer.find(b"\n", offset)) != -1:
            line = bytes(self._buffer[offset:end + 1])
            offset = end + 1
            lines.append(line[4:].strip().decode("utf-8", "replace"))
            if line[3:4] != b"-":
                try:
                    code = int(line[:3])
                except ValueError:
                    code = 500
                del self._buffer[:offset]
                return code, "\n".join(lines)
        return None

    async def _reply(self) -> tuple[int, str]:
        while not self._replies:
            if self._lost is not None:
                raise self._lost
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, self.timeout)
            except TimeoutError as error:
                self.transport.close()
                raise SMTPReadTimeoutError("timed out waiting for the SMTP server's reply") from error
        return self._replies.popleft()

    def _write(self, data: bytes) -> None:
        if not self.is_open:
            raise self._lost or SMTPServerDisconnected("connection closed")
        self.transport.write(data)

    async def send(self, sender: str, recipient: str, data: bytes) -> str:
        """One message; returns the server's final reply text. `data` ends with CRLF."""
        for address in (sender, recipient):
            if _UNSAFE_ADDRESS.search(address) or not address.isascii():
                raise SMTPRecipientsRefused([SMTPRecipientRefused(553, "address not accepted", recipient)])
        self._write(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode("ascii"))
        mail, rcpt, start = await self._reply(), await self._reply(), await self._reply()
        if start[0] != 354:
            await self._reset()
            if mail[0] >= 400:
                raise SMTPSenderRefused(mail[0], mail[1], sender)
            if rcpt[0] >= 400:
                raise SMTPRecipientsRefused([SMTPRecipientRefused(rcpt[0], rcpt[1], recipient)])
            raise SMTPDataError(start[0], start[1])
        if mail[0] >= 400 or rcpt[0] >= 400:  # a server that opened DATA for a refused envelope
            self.transport.close()
            raise SMTPServerDisconnected("the server accepted DATA after refusing the envelope")
        self._write(_DOT_LINE.sub(b"..", data) + b".\r\n")
        final = await self._reply()
        if final[0] != 250:
            raise SMTPDataError(final[0], final[1])
        return final[1]

    async def _reset(self) -> None:
        self._write(b"RSET\r\n")
        await self._reply()

    async def quit(self) -> None:
        try:
            self._write(b"QUIT\r\n")
            await self._reply()
        finally:
            self.transport.close()
