"""Raw RFC 5322 bytes to an InboundMail: the one parser both receiving paths use. Pure: no I/O,
no database. Decoding follows the message's own charsets and transfer encodings (the `email`
package's modern policy); a header that cannot be decoded is read with replacement characters
rather than refused, since senders get these wrong often and the text is still useful."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from tessera.integrations.mail_in.body_text import html_to_text, latest_reply

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")


@dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class InboundMail:
    """What Tessera reads from one message. `sender` is the From address, lower-cased;
    `envelope_sender` the SMTP MAIL FROM (or Return-Path), "" for the null sender."""

    message_id: str
    sender: str
    sender_name: str
    envelope_sender: str | None
    recipients: tuple[str, ...]
    subject: str
    text: str  # the newest reply only: quotes and signature stripped
    references: tuple[str, ...]  # In-Reply-To first, then References newest first
    attachments: tuple[MailAttachment, ...]
    headers: EmailMessage = field(repr=False)


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, AttributeError):  # a malformed header the parser chokes on
        value = message.get_all(name, failobj=[""])[0] if hasattr(message, "get_all") else ""
    return " ".join(str(value or "").split())


def _ids(text: str) -> list[str]:
    return [match.lower() for match in _MESSAGE_ID.findall(text)]


def _body_text(message: EmailMessage) -> str:
    """The plain text part if there is one, else the HTML part converted."""
    for preference in (("plain",), ("html",)):
        part = message.get_body(preferencelist=preference)
        if part is None:
            continue
        try:
            content = part.get_content()
        except (LookupError, UnicodeError):  # an unknown charset
            content = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        return html_to_text(content) if preference == ("html",) else content
    return ""


def _attachments(message: EmailMessage) -> tuple[MailAttachment, ...]:
    found: list[MailAttachment] = []
    for part in message.iter_attachments():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        data = part.get_payload(decode=True) or b""
        if not data:
            continue
        filename = part.get_filename() or f"attachment-{len(found) + 1}"
        found.append(MailAttachment(filename=filename, content_type=part.get_content_type(), data=data))
    return tuple(found)


def parse_mail(raw: bytes, *, envelope_sender: str | None = None,
               envelope_recipients: tuple[str, ...] = ()) -> InboundMail:
    """`envelope_*` are what the SMTP session said (None when read from a mailbox: the
    Return-Path header and the To/Cc headers stand in)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(_header(message, "From"))
    if envelope_sender is None and "Return-Path" in message:
        envelope_sender = parseaddr(_header(message, "Return-Path"))[1] or ""
    recipients = envelope_recipients or tuple(
        address for _, address in getaddresses([_header(message, "To"), _header(message, "Cc"),
                                                _header(message, "Delivered-To")]) if address)
    message_ids = _ids(_header(message, "Message-ID"))
    message_id = message_ids[0] if message_ids else f"<sha256-{hashlib.sha256(raw).hexdigest()}@mail-in>"
    references = _ids(_header(message, "In-Reply-To")) + list(reversed(_ids(_header(message, "References"))))
    return InboundMail(
        message_id=message_id, sender=address.strip().lower(), sender_name=name.strip(),
        envelope_sender=envelope_sender, recipients=tuple(r.strip().lower() for r in recipients),
        subject=_header(message, "Subject"), text=latest_reply(_body_text(message)),
        references=tuple(dict.fromkeys(references)), attachments=_attachments(message), headers=message)
