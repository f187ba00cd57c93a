"""Polling an IMAP mailbox (TESSERA_IMAP_URL, `imap://` or `imaps://user:password@host[:port]/MAILBOX`,
INBOX by default): each unseen message goes through the same parser and the same receive_mail as
the SMTP listener's, then is marked \\Seen (refused ones also \\Flagged, for whoever reads the
mailbox: no bounce is sent, a bounce to a forged sender would be backscatter). Between rounds the
poller waits in IDLE (RFC 2177) when the server offers it, so new mail acts at once; otherwise it
polls every TESSERA_IMAP_POLL_SECONDS.

The standard library's imaplib runs in a thread (asyncio.to_thread): the maintained asyncio IMAP
client is GPL-licensed, which this Apache-licensed project cannot depend on."""

from __future__ import annotations

import asyncio
import imaplib
import logging
import re
import select
import socket
import ssl
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import InvalidInput
from tessera.integrations.mail_in.parsing import parse_mail
from tessera.integrations.mail_in.receive import MailRefused, receive_mail
from tessera.issues.attachments.storage import ObjectStore

log = logging.getLogger("tessera.mail_in")
_FETCH_BATCH = 50


@dataclass(frozen=True, slots=True)
class ImapAddress:
    host: str
    port: int
    tls: bool
    user: str
    password: str
    mailbox: str

    @classmethod
    def parse(cls, url: str) -> ImapAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise InvalidInput("TESSERA_IMAP_URL must look like imaps://user:password@host[:port]/MAILBOX.",
                               field="imap_url")
        tls = parts.scheme == "imaps"
        return cls(host=parts.hostname, port=parts.port or (993 if tls else 143), tls=tls,
                   user=unquote(parts.username), password=unquote(parts.password or ""),
                   mailbox=unquote(parts.path.lstrip("/")) or "INBOX")


class ImapMailbox:
    """One connection, used from one thread at a time. Plain `imap://` upgrades with STARTTLS when
    the server offers it."""

    def __init__(self, address: ImapAddress, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.address = address
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.connection: imaplib.IMAP4 | None = None

    def connect(self) -> None:
        a = self.address
        if a.tls:
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(a.host, a.port, ssl_context=self.ssl_context, timeout=60)
        else:
            connection = imaplib.IMAP4(a.host, a.port, timeout=60)
            if "STARTTLS" in connection.capabilities:
                connection.starttls(self.ssl_context)
        connection.login(a.user, a.password)
        status, _ = connection.select(_quoted(a.mailbox))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select mailbox {a.mailbox}")
        self.connection = connection

    @property
    def supports_idle(self) -> bool:
        return self.connection is not None and "IDLE" in self.connection.capabilities

    def unseen(self) -> list[tuple[bytes, bytes]]:
        """(uid, raw message) of up to a batch of unseen messages, oldest first; reading with
        BODY.PEEK leaves them unseen until marked."""
        assert self.connection is not None
        _, data = self.connection.uid("SEARCH", "UNSEEN")
        uids = (data[0] or b"").split()[:_FETCH_BATCH]
        found = []
        for uid in uids:
            _, parts = self.connection.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in parts if isinstance(part, tuple)), None)
            if raw is not None:
                found.append((uid, raw))
        return found

    def mark(self, uid: bytes, *, refused: bool) -> None:
        assert self.connection is not None
        self.connection.uid("STORE", uid, "+FLAGS", "(\\Seen \\Flagged)" if refused else "(\\Seen)")

    def idle(self, seconds: float) -> None:
        """Wait in IDLE until the server reports a change or `seconds` pass. imaplib before Python
        3.14 has no IDLE, so this speaks it: the command, the continuation, one select() on the
        socket (a read timeout would spoil imaplib's buffered reader), then DONE and the tagged end."""
        connection = self.connection
        assert connection is not None
        tag = connection._new_tag()  # type: ignore[attr-defined]
        connection.send(tag + b" IDLE\r\n")
        if not connection.readline().startswith(b"+"):
            raise imaplib.IMAP4.error("the server refused IDLE")
        sock = connection.socket()
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending()
        if pending or select.select([sock], [], [], seconds)[0]:
            connection.readline()  # "* N EXISTS" or the like: something changed
        connection.send(b"DONE\r\n")
        while not connection.readline().startswith(tag):
            pass

    def interrupt(self) -> None:
        """Make a waiting IDLE return at once (from another thread): the connection is unusable after."""
        if self.connection is not None:
            with suppress(OSError):
                self.connection.socket().shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.logout()
            except (OSError, imaplib.IMAP4.error, EOFError):
                pass
            self.connection = None


def _quoted(mailbox: str) -> str:
    return mailbox if re.fullmatch(r"[A-Za-z0-9._/-]+", mailbox) else '"' + mailbox.replace('"', '\\"') + '"'


async def poll_once(mailbox: ImapMailbox, database: Database, store: ObjectStore, settings: Settings) -> int:
    """Act on what is unseen now; the number of messages handled. A message that failed for a
    reason a retry may fix stays unseen, to be tried in the next round."""
    handled = 0
    for uid, raw in await asyncio.to_thread(mailbox.unseen):
        refused = False
        if len(raw) > settings.mail_in_max_bytes:
            log.info("IMAP message %s refused: %d bytes is over the limit of %d", uid.decode(), len(raw),
                     settings.mail_in_max_bytes)
            refused = True
        else:
            mail = parse_mail(raw)
            try:
                outcome = await receive_mail(database, store, settings, mail)
                log.info("IMAP message %s from %s: %s %s", mail.message_id, mail.sender, outcome.action,
                         outcome.issue_key or outcome.reason)
            except MailRefused as error:
                log.info("IMAP message %s from %s refused: %s", mail.message_id, mail.sender, error.message)
                refused = True
            except Exception:
                log.exception("IMAP message %s from %s failed; it stays unseen", mail.message_id, mail.sender)
                continue
        await asyncio.to_thread(mailbox.mark, uid, refused=refused)
        handled += 1
    return handled


async def run_imap_poller(database: Database, store: ObjectStore, settings: Settings, stop: asyncio.Event) -> None:
    """Poll until `stop` is set, reconnecting after a lost connection. IDLE rounds are bounded by
    TESSERA_IMAP_POLL_SECONDS (and by 25 minutes, under the 29 that RFC 2177 lets servers cut)."""
    if not settings.imap_url:
        raise InvalidInput("Set TESSERA_IMAP_URL to poll a mailbox.", field="imap_url")
    address = ImapAddress.parse(settings.imap_url)
    wait = min(settings.imap_poll_seconds, 25 * 60)
    while not stop.is_set():
        mailbox = ImapMailbox(address)
        try:
            await asyncio.to_thread(mailbox.connect)
            log.info("polling IMAP mailbox %s on %s (IDLE: %s)", address.mailbox, address.host,
                     "yes" if mailbox.supports_idle else "no")
            while not stop.is_set():
                if await poll_once(mailbox, database, store, settings) >= _FETCH_BATCH:
                    continue  # more are waiting
                if mailbox.supports_idle:
                    idle = asyncio.ensure_future(asyncio.to_thread(mailbox.idle, wait))
                    stopped = asyncio.ensure_future(stop.wait())
                    await asyncio.wait({idle, stopped}, return_when=asyncio.FIRST_COMPLETED)
                    stopped.cancel()
                    if not idle.done():  # stopping: wake the IDLE thread by shutting its socket
                        mailbox.interrupt()
                        with suppress(Exception):
                            await idle
                        break
                    idle.result()
                else:
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=wait)
                    except TimeoutError:
                        pass
        except (OSError, imaplib.IMAP4.error, EOFError) as error:
            log.warning("IMAP mailbox %s on %s: %s; reconnecting", address.mailbox, address.host, error)
            try:
                await asyncio.wait_for(stop.wait(), timeout=min(wait, 30))
            except TimeoutError:
                pass
        finally:
            await asyncio.to_thread(mailbox.close)
