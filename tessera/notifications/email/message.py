"""One notification as an email: multipart text and HTML from the Jinja2 templates of
tessera/notifications/templates/email, and the headers mail clients act on.

Threading follows Jira Server (tessera reference, section 5.4): every mail about one issue
carries the same `In-Reply-To` and `References`, a stable per-issue id of a parent message that
never exists (`<issue-{org}-{issue_id}@{host}>`), which is enough for clients to group the
thread. The `Message-ID` is derived from the delivery's idempotency key, so a delivery sent again
after a worker died has the same id and the recipient's client drops the copy.

`List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) points at
a signed link (tessera.crypto.signed, purpose "unsubscribe") served by the notification
preferences; `Auto-Submitted: auto-generated` (RFC 3834) keeps vacation responders quiet."""

from __future__ import annotations

import hashlib
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
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


def _header(text: str) -> str | Header:
    """ASCII as is; anything else RFC 2047-encoded (a subject with an umlaut, a translated one)."""
    return text if text.isascii() else Header(text, "utf-8")


def _address(text: str) -> str:
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8") if name else address


def compose(rendered: RenderedNotification, *, delivery: ClaimedDelivery, settings: Settings) -> MIMEMultipart:
    """The message for one delivery; its `target` is the recipient's address. Built with the
    compat32 MIME classes: the `email.policy.default` header registry parses every header it is
    given, which cost more than the whole SMTP exchange (bench/notify_email.py)."""
    recipient_id = rendered.recipient_id or delivery.target_id or 0
    template = _TEMPLATES.get(rendered.kind, "issue")
    subject = subject_of(rendered)
    link = unsubscribe_url(settings, delivery.organization_id, int(recipient_id))
    context = dict(sections=rendered.sections, issue=rendered.issue, subject=subject, unsubscribe_url=link,
                   change_count=rendered.change_count, language="en", _=rendered.translations.gettext,
                   ngettext=rendered.translations.ngettext)
    environment = _environment()
    message = MIMEMultipart("alternative")
    message["From"] = _address(settings.mail_from)
    message["To"] = delivery.target
    message["Subject"] = _header(subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(settings, delivery)
    issue = rendered.issue
    if rendered.kind == "issue" and issue is not None and issue.id is not None:
        thread = thread_id(settings, delivery.organization_id, issue.id)
        message["In-Reply-To"] = thread
        message["References"] = thread
    message["List-Unsubscribe"] = f"<{link}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # Outlook's spelling of the same wish
    message["X-Tessera-Delivery"] = delivery.idempotency_key
    # Text first, HTML last: clients show the last part they can (RFC 2046 multipart/alternative).
    message.attach(MIMEText(environment.get_template(f"email/{template}.txt").render(context), "plain", "utf-8"))
    message.attach(MIMEText(environment.get_template(f"email/{template}.html").render(context), "html", "utf-8"))
    return message
