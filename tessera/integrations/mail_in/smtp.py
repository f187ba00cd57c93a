"""The SMTP listener (`tessera mail-in`): aiosmtpd on the caller's event loop. Recipients are
checked at RCPT (a project's address, also in the reply-address form `<org>-<project>+<token>@`,
whose token is verified with the message, or the notification sender's address, to which replies go),
the size limit is announced in EHLO (SIZE) and enforced while DATA arrives (552), and each
message is answered only after it has acted: 250 when done or deliberately dropped (automatic
mail is accepted and dropped so no bounce goes back), 550 with the reason when refused, 451 when
something failed that a retry may fix."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.integrations.mail_in.addresses import is_notification_address, mail_in_domain, parse_project_address
from tessera.integrations.mail_in.parsing import parse_mail
from tessera.integrations.mail_in.receive import MailRefused, receive_mail
from tessera.issues.attachments.storage import ObjectStore

log = logging.getLogger("tessera.mail_in")
MAX_RECIPIENTS = 50


def _reply_text(text: str) -> str:
    """One SMTP reply line: no line breaks, printable ASCII, short."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in " ".join(text.split()))[:300]


class MailInHandler:
    def __init__(self, database: Database, store: ObjectStore, settings: Settings) -> None:
        self.database = database
        self.store = store
        self.settings = settings

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        if parse_project_address(self.settings, address) is None and not is_notification_address(self.settings, address):
            return f"550 5.1.1 <{_reply_text(address)}>: no Tessera project takes mail at this address"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        sender = envelope.mail_from or ""
        mail = parse_mail(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape"),
                          envelope_sender="" if sender == "<>" else sender,
                          envelope_recipients=tuple(envelope.rcpt_tos))
        try:
            outcome = await receive_mail(self.database, self.store, self.settings, mail)
        except MailRefused as refused:
            log.info("mail %s from %s refused: %s", mail.message_id, mail.sender, refused.message)
            return f"550 5.7.1 {_reply_text(refused.message)}"
        except Exception:
            log.exception("mail %s from %s failed", mail.message_id, mail.sender)
            return "451 4.3.0 Temporary failure; please try again later"
        return f"250 2.0.0 {outcome.action} {outcome.issue_key or ''}".rstrip()


async def start_smtp_server(database: Database, store: ObjectStore, settings: Settings, *, host: str,
                            port: int) -> asyncio.Server:
    """A listening server on the running loop; close it with `server.close()`."""
    handler = MailInHandler(database, store, settings)
    loop = asyncio.get_running_loop()

    def protocol() -> Any:
        # The host name given: aiosmtpd would otherwise look up the machine's FQDN per connection.
        return SMTP(handler, data_size_limit=settings.mail_in_max_bytes, enable_SMTPUTF8=True,
                    hostname=mail_in_domain(settings), ident="Tessera mail-in", timeout=120)

    return await loop.create_server(protocol, host=host, port=port)
