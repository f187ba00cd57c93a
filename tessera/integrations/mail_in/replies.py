"""Reply addresses. When email in is configured (TESSERA_MAIL_IN_DOMAIN set) notification mails
about an issue of a project that takes mail carry `Reply-To: <org>-<project>+<token>@<domain>`:
the token names the issue and the recipient, signed with the server's key
(tessera.crypto.signed.sign_numbers, bound to the organization), so a reply finds its issue even
when a mail client or a help-desk relay drops `References`, and cannot be pointed at another
issue or organization. The token grants nothing: the reply acts as its sender, with the sender's
permissions (receive.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.crypto.signed import sign_numbers, verify_numbers
from tessera.integrations.mail_in.addresses import project_address
from tessera.integrations.mail_in.models import MailInPolicy
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.models import Organization

REPLY_PURPOSE = "mail-reply"
LOCAL_PART_MAX = 64  # RFC 5321, 4.5.3.1.1


@dataclass(frozen=True, slots=True)
class ReplyToken:
    issue_id: int
    user_id: int  # the notification's recipient (the reply may come from someone else)


def reply_token(settings: Settings, *, organization_id: int, issue_id: int, user_id: int) -> str:
    return sign_numbers(settings.secret_key, REPLY_PURPOSE, (issue_id, user_id), context=(organization_id,))


def read_reply_token(settings: Settings, *, organization_id: int, token: str) -> ReplyToken:
    """BadSignature for a token altered, or made for another organization or by another server."""
    issue_id, user_id = verify_numbers((settings.secret_key, *settings.previous_secret_keys), REPLY_PURPOSE,
                                       token, count=2, context=(organization_id,))
    return ReplyToken(issue_id, user_id)


def reply_address(settings: Settings, *, organization_key: str, project_key: str, organization_id: int,
                  issue_id: int, user_id: int) -> str | None:
    """None when the local part would pass 64 octets (a long organization key with large ids):
    replies then thread by `References` alone."""
    local, _, domain = project_address(settings, organization_key, project_key).partition("@")
    local += "+" + reply_token(settings, organization_id=organization_id, issue_id=issue_id, user_id=user_id)
    return f"{local}@{domain}" if len(local) <= LOCAL_PART_MAX else None


class ReplyAddressBook:
    """The email sender's source of `Reply-To` addresses (tessera.notifications.email.sender's
    ReplyAddresses), wired in by the worker when TESSERA_MAIL_IN_DOMAIN is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def reply_addresses(self, session: AsyncSession, organization_id: int,
                              wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """(issue id, recipient id) -> the address, for the issues whose project takes mail (its
        policy enabled, which a project without a stored policy is); one query."""
        pairs = set(wanted)
        if not self.settings.mail_in_domain or not pairs:
            return {}
        rows = (await session.execute(
            select(Issue.id, Project.key, Organization.key)
            .join(Project, (Project.id == Issue.project_id) & (Project.organization_id == Issue.organization_id))
            .join(Organization, Organization.id == Issue.organization_id)
            .outerjoin(MailInPolicy, (MailInPolicy.organization_id == Project.organization_id)
                       & (MailInPolicy.project_id == Project.id))
            .where(Issue.organization_id == organization_id, Issue.id.in_(sorted({i for i, _ in pairs})),
                   MailInPolicy.enabled.is_not(False)))).all()
        keys = {issue_id: (organization_key, project_key) for issue_id, project_key, organization_key in rows}
        found = {}
        for issue_id, user_id in pairs:
            if issue_id in keys:
                address = reply_address(self.settings, organization_key=keys[issue_id][0],
                                        project_key=keys[issue_id][1], organization_id=organization_id,
                                        issue_id=issue_id, user_id=user_id)
                if address is not None:
                    found[issue_id, user_id] = address
        return found
