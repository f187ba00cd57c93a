"""Where inbound mail is going. A project's address is `<org key>-<project key>@<domain>`
(neither key may contain a hyphen, so the split is unambiguous; case does not matter). A reply to
a notification is recognised by the per-issue thread id every notification carries in
`In-Reply-To`/`References` (tessera.notifications.email.message.thread_id), whatever address
the reply was sent to, or by the signed token of the reply address notifications carry,
`<org key>-<project key>+<token>@<domain>` (replies.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

from tessera.config import Settings
from tessera.notifications.email.message import mail_host

_LOCAL_PART = re.compile(r"^([a-z][a-z0-9_]{1,31})-([a-z][a-z0-9]{1,9})$")
# A reply token's shape (replies.py: lower-case base32, at least two varints and an 8-byte MAC);
# shorter tags, or ones with other characters, are the sender's own (`+urgent`).
_REPLY_TOKEN = re.compile(r"^[a-z2-7]{16,52}$")


def mail_in_domain(settings: Settings) -> str:
    return (settings.mail_in_domain or mail_host(settings)).lower()


def project_address(settings: Settings, organization_key: str, project_key: str) -> str:
    return f"{organization_key.lower()}-{project_key.lower()}@{mail_in_domain(settings)}"


@dataclass(frozen=True, slots=True)
class ProjectAddress:
    organization_key: str
    project_key: str
    reply_token: str | None = None  # unverified: only its shape is known here


def parse_project_address(settings: Settings, address: str) -> ProjectAddress | None:
    """The organization and project an address names, or None when it is not one of ours. A
    `+tag` after the local part is a reply token when it has a token's shape, and is ignored
    otherwise (mail clients and filters add them)."""
    local, _, domain = address.strip().lower().rpartition("@")
    if domain != mail_in_domain(settings):
        return None
    local, _, tag = local.partition("+")
    match = _LOCAL_PART.match(local)
    if match is None:
        return None
    return ProjectAddress(match.group(1).upper(), match.group(2).upper(),
                          tag if _REPLY_TOKEN.match(tag) else None)


@dataclass(frozen=True, slots=True)
class ThreadRef:
    organization_id: int
    issue_id: int


def thread_refs(settings: Settings, references: tuple[str, ...]) -> list[ThreadRef]:
    """The issues named by the thread ids among a message's references, nearest first."""
    pattern = re.compile(rf"^<issue-(\d{{1,18}})-(\d{{1,18}})@{re.escape(mail_host(settings).lower())}>$")
    found = []
    for reference in references:
        match = pattern.match(reference.lower())
        if match:
            found.append(ThreadRef(int(match.group(1)), int(match.group(2))))
    return found


def is_notification_address(settings: Settings, address: str) -> bool:
    """The address notifications come from, to which replies go back."""
    return address.strip().lower() == parseaddr(settings.mail_from)[1].lower()
