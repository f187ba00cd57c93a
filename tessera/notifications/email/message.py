"""One notification as an email: multipart text and HTML from the Jinja2 templates of
tessera/notifications/templates/email, and the headers mail clients act on.

Threading follows Jira Server (tessera reference, section 5.4): every mail about one issue
carries the same `In-Reply-To` and `References`, a stable per-issue id of a parent message that
never exists (`<issue-{org}-{issue_id}@{host}>`), which is enough for clients to group the
thread. The `Message-ID` is derived from the delivery's idempotency key, so a delivery sent again
after a worker died has the same id and the recipient's client drops the copy.

`List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) points at
a signed link (tessera.crypto.signed, purpose "unsubscribe") served by the notification
preferences; `Auto-Submitted: auto-generated` (RFC 3834) keeps vacation responders quiet. A
`Reply-To` is set when email in gives the issue a reply address (the sender asks for it)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tessera.config import Settings
from tessera.crypto.signed import sign
from tessera.db.base import utcnow
from tessera.delivery.engine import ClaimedDelivery
from tessera.notifications.render import RenderedNotification

SUBJECT_CHARS = 200
UNSUBSCRIBE_PURPOSE = "unsubscribe"
_TEMPLATES = {"issue": "issue", "digest": "digest", "overflow": "overflow"}


@cache
def _environment() -> Environment:
    # .txt templates are not escaped (they are plain text); .html ones are.
    return Environment(loader=PackageLoader("tessera.notifications", "templates"),
                       autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def mail_host(settings: Settings) -> str:
    """The right-hand side of Tessera's message ids: the server's public host name."""
    return urlsplit(settings.base_url).hostname or "tessera.invalid"


def thread_id(settings: Settings, organization_id: int, issue_id: int) -> str:
    return f"<issue-{organization_id}-{issue_id}@{mail_host(settings)}>"


def message_id(settings: Settings, delivery: ClaimedDelivery) -> str:
    digest = hashlib.sha256(delivery.idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}.{delivery.organization_id}@{mail_host(settings)}>"


def unsubscribe_token(settings: Settings, organization_id: int, user_id: int) -> str:
    return sign(settings.secret_key, UNSUBSCRIBE_PURPOSE, {"o": organization_id, "u": user_id, "c": "email"})


def unsubscribe_url(settings: Settings, organization_id: int, user_id: int) -> str:
    token = unsubscribe_token(settings, organization_id, user_id)
    return f"{settings.base_url.rstrip('/')}/v2/notifications/unsubscribe?token={quote(token)}"


def subject_of(rendered: RenderedNotification) -> str:
    _ = rendered.translations
    issue = rendered.issue
    if rendered.kind == "issue" and issue is not None:
        subject = f"[{issue.key}] {issue.summary}"  # Jira's form; stable per issue, so clients thread it too
    elif rendered.kind == "overflow":
        subject = _.ngettext("[Tessera] {count} more update held back", "[Tessera] {count} more updates held back",
                             rendered.change_count).format(count=rendered.change_count)
    else:
        subject = _.ngettext("[Tessera] {count} update", "[Tessera] {count} updates",
                             rendered.change_count).format(count=rendered.change_count)
    # A header must not carry a line break (header injection); summaries cannot, but be sure.
    return " ".join(subject.split())[:SUBJECT_CHARS]


def _header(name: str, value: str) -> bytes:
    """One header line: ASCII as is, anything else RFC 2047-encoded (a summary with an umlaut, a
    translated subject). Line breaks are dropped: a value can never start a header of its own."""
    value = " ".join(value.splitlines())
    if not value.isascii():
        value = Header(value, "utf-8", header_name=name).encode()
    return f"{name}: {value}\r\n".encode("ascii")


def _address(text: str) -> str:
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8") if name else address


def _part(content_type: str, text: str) -> bytes:
    body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return (f'Content-Type: {content_type}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            .encode("ascii") + body)


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    recipient: str
    data: bytes  # the whole message, CRLF line ends, ready for DATA


def compose(rendered: RenderedNotification, *, delivery: ClaimedDelivery, settings: Settings,
            reply_to: str | None = None) -> OutgoingMail:
    """The message for one delivery (its `target` is the recipient's address), serialized here:
    the `email` package's generator and header registry cost more than the SMTP exchange itself
    (bench/notify_email.py), and this message's structure is fixed: multipart/alternative with a
    text part, then an HTML part (clients show the last part they can, RFC 2046), each base64."""
    recipient_id = rendered.recipient_id or delivery.target_id or 0
    template = _TEMPLATES.get(rendered.kind, "issue")
    subject = subject_of(rendered)
    link = unsubscribe_url(settings, delivery.organization_id, int(recipient_id))
    context = dict(sections=rendered.sections, issue=rendered.issue, subject=subject, unsubscribe_url=link,
                   change_count=rendered.change_count, language=rendered.language, _=rendered.translations.gettext,
                   ngettext=rendered.translations.ngettext)
    text, html = render_pair(template, context)
    ident = message_id(settings, delivery)
    headers = [("From", _address(settings.mail_from)), ("To", delivery.target), ("Subject", subject),
               ("Date", format_datetime(utcnow())), ("Message-ID", ident)]
    issue = rendered.issue
    if rendered.kind == "issue" and issue is not None and issue.id is not None:
        thread = thread_id(settings, delivery.organization_id, issue.id)
        headers += [("In-Reply-To", thread), ("References", thread)]
        if reply_to:
            headers.append(("Reply-To", reply_to))
    headers += [("List-Unsubscribe", f"<{link}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("Auto-Submitted", "auto-generated"),
                ("X-Auto-Response-Suppress", "All"),  # Outlook's spelling of the same wish
                ("X-Tessera-Delivery", delivery.idempotency_key),
                ("Content-Language", rendered.language)]  # RFC 3282: the recipient's, as the words are
    return OutgoingMail(delivery.target, serialize(headers, text=text, html=html, ident=ident))


def render_pair(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """The text and HTML bodies from email/{template}.txt and .html."""
    environment = _environment()
    return (environment.get_template(f"email/{template}.txt").render(context),
            environment.get_template(f"email/{template}.html").render(context))


def sender_address(settings: Settings) -> str:
    return _address(settings.mail_from)


def serialize(headers: list[tuple[str, str]], *, text: str, html: str, ident: str) -> bytes:
    """`headers` and the two bodies as multipart/alternative: a text part, then an HTML part
    (clients show the last part they can, RFC 2046), each base64."""
    boundary = f"=_tessera_{ident[1:17]}"
    headers = [*headers, ("MIME-Version", "1.0"), ("Content-Type", f'multipart/alternative; boundary="{boundary}"')]
    separator = f"\r\n--{boundary}\r\n".encode("ascii")
    return b"".join([*(_header(name, value) for name, value in headers), b"\r\n",
                     separator[2:], _part("text/plain", text), separator, _part("text/html", html),
                     f"\r\n--{boundary}--\r\n".encode("ascii")])
