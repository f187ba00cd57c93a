"""What one parsed message does: create an issue in the project it was sent to, or add a comment
to the issue whose notification it replies to (by its signed reply address, or its thread id in
`References`), as the user whose address sent it; mail from unknown senders follows the
project's policy (refused, filed on a user's behalf, or filed by the sender as a customer).

Order: automatic mail (auto-replies, bounces, lists) is dropped first and never answered, so no
loop can start; then the trusted relay's SPF/DKIM verdict; then the target and the sender. The
issue or comment and its receipt are written in one transaction (a message seen again acts
once); attachments follow in a transaction of their own through the attachment service, which
stores objects outside any transaction and checks permission and quota as for an upload."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.crypto.signed import BadSignature
from tessera.db.engine import Database
from tessera.errors import TesseraError
from tessera.integrations.mail_in.addresses import ProjectAddress, parse_project_address, thread_refs
from tessera.integrations.mail_in.models import MailInPolicy, MailInReceipt
from tessera.integrations.mail_in.parsing import InboundMail, MailAttachment
from tessera.integrations.mail_in.policy import get_policy
from tessera.integrations.mail_in.replies import read_reply_token
from tessera.integrations.mail_in.screening import authentication_refusal, automatic_reason
from tessera.issues.attachments.service import attach_staged_files
from tessera.issues.attachments.staging import FileStager, StagedFile
from tessera.issues.attachments.storage import ObjectStore
from tessera.issues.comments.service import COMMENT_MAX, check_add_comment
from tessera.issues.creation import check_create_issue_for_view
from tessera.issues.inputs import IssueCreate
from tessera.issues.models import DESCRIPTION_MAX, SUMMARY_MAX, Issue
from tessera.issues.service import access_issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import CUSTOMER_ROLE, Organization, User
from tessera.tenancy.permissions import Permission, has_permission
from tessera.tenancy.service import do_add_customer, normalize_email
from tessera.webhooks.owners import owner_actor

log = logging.getLogger("tessera.mail_in")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|r|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)


class MailRefused(TesseraError):
    """The message cannot act, for a reason the sender should be told (an SMTP 550)."""

    code = "mail_refused"
    status = 422


@dataclass(frozen=True, slots=True)
class Outcome:
    """`action`: issue_created | comment_added | duplicate | ignored (automatic mail, dropped silently)."""

    action: str
    reason: str = ""
    issue_id: int | None = None
    issue_key: str | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    organization: Organization
    project: Project
    issue: Issue | None  # set for a reply


async def receive_mail(database: Database, store: ObjectStore, settings: Settings, mail: InboundMail) -> Outcome:
    """Act on one message. Raises MailRefused for mail that must be refused (unknown sender,
    unknown address, failed authentication, no permission)."""
    automatic = automatic_reason(mail)
    if automatic is not None:
        log.info("mail %s from %s dropped: %s", mail.message_id, mail.sender or "<>", automatic)
        return Outcome("ignored", automatic)
    refusal = authentication_refusal(mail, settings.mail_in_trusted_authserv_ids)
    if refusal is not None:
        raise MailRefused(f"Mail from {mail.sender} is not authenticated: {refusal}.")
    try:
        async with database.unit_of_work() as session:
            outcome, actor = await _act(session, settings, mail)
    except IntegrityError:  # the same message, acted on by another process a moment ago
        return Outcome("duplicate", "this message was already received")
    except MailRefused:
        raise
    except TesseraError as error:  # no permission, an archived project, an unknown issue type...
        raise MailRefused(error.message) from None
    if actor is not None and outcome.issue_id is not None and mail.attachments:
        await _attach(database, store, settings, actor=actor, issue_id=outcome.issue_id, files=mail.attachments)
    return outcome


async def _act(session: AsyncSession, settings: Settings, mail: InboundMail) -> tuple[Outcome, Actor | None]:
    target = await _target(session, settings, mail)
    org_id = target.organization.id
    message_id = mail.message_id[:255]
    seen = await session.scalar(select(MailInReceipt).where(MailInReceipt.organization_id == org_id,
                                                            MailInReceipt.message_id == message_id))
    if seen is not None:
        return Outcome("duplicate", "this message was already received", seen.issue_id), None
    target, policy, actor, external = await _seen_target(session, settings, mail, target)
    byline = f"From {mail.sender_name} <{mail.sender}> by email:\n\n" if external else ""
    if target.issue is not None:
        issue, project = await access_issue(session, actor, target.issue.id)
        body = (byline + mail.text)[:COMMENT_MAX]
        if not mail.text.strip():
            raise MailRefused("The reply has no text of its own (only quoted text).")
        comment = await check_add_comment(session, actor=actor, issue=issue, project=project, body=body)
        outcome = Outcome("comment_added", issue_id=issue.id, issue_key=issue.key)
        comment_id: int | None = comment.id
    else:
        summary = _REPLY_PREFIX.sub("", mail.subject).strip()[:SUMMARY_MAX] or "(no subject)"
        data = IssueCreate(project_id=target.project.id, issue_type=policy.issue_type, summary=summary,
                           description=(byline + mail.text)[:DESCRIPTION_MAX])
        issue = (await check_create_issue_for_view(session, actor=actor, data=data)).issue
        outcome = Outcome("issue_created", issue_id=issue.id, issue_key=issue.key)
        comment_id = None
    session.add(MailInReceipt(organization_id=org_id, message_id=message_id, sender=mail.sender[:320],
                              issue_id=issue.id, comment_id=comment_id, external=external))
    await session.flush()
    return outcome, actor


async def _seen_target(session: AsyncSession, settings: Settings, mail: InboundMail, target: _Target,
                       ) -> tuple[_Target, MailInPolicy, Actor, bool]:
    """The target, its policy and who the mail acts as. An issue the sender may not see (its
    security level) is as unknown as a missing one: the next thread reference or the project
    address is the target then, or the mail is refused with the words a missing issue gets."""
    hidden: set[int] = set()
    while True:
        policy = await get_policy(session, project=target.project)
        if target.issue is None and not policy.enabled:
            raise MailRefused(f"Project {target.project.key} does not take mail.")
        actor, external = await _sender(session, target, policy, mail)
        if target.issue is None or await has_permission(session, actor, Permission.BROWSE_PROJECTS, target.project,
                                                        target.issue):
            return target, policy, actor, external
        hidden.add(target.issue.id)
        target = await _target(session, settings, mail, hidden=hidden)


async def _sender(session: AsyncSession, target: _Target, policy: MailInPolicy,
                  mail: InboundMail) -> tuple[Actor, bool]:
    """Who the mail acts as, and whether that is someone else on the sender's behalf (the
    "create" policy). A user acts as themselves with their permissions; a customer, or an unknown
    sender under the "customer" policy, as a customer; other unknown senders by the policy."""
    org_id = target.organization.id
    user = await session.scalar(select(User).where(User.organization_id == org_id,
                                                   User.email == normalize_email(mail.sender)))
    if user is not None and user.active and user.role != CUSTOMER_ROLE:
        return await _actor(session, org_id, user.id, mail), False
    if user is not None and user.role == CUSTOMER_ROLE and user.active:
        return await _customer_actor(session, target, policy, user, mail), False
    if user is None and policy.unknown_senders == "customer":
        if target.issue is not None:
            raise MailRefused(f"{mail.sender} may only reply to the issues they reported.")
        user = await do_add_customer(session, organization_id=org_id, email=normalize_email(mail.sender),
                                     display_name=mail.sender_name or mail.sender)
        if user.role == CUSTOMER_ROLE and user.active:  # else added as a user by someone else meanwhile
            return await _customer_actor(session, target, policy, user, mail), False
    if policy.unknown_senders != "create" or policy.on_behalf_of_id is None:
        raise MailRefused(f"{mail.sender} is not a user of this Tessera organization.")
    if target.issue is not None and not await _reported_by(session, org_id, target.issue.id, mail.sender):
        raise MailRefused(f"{mail.sender} may only reply to the issues their own mail created.")
    return await _actor(session, org_id, policy.on_behalf_of_id, mail), True


async def _actor(session: AsyncSession, organization_id: int, user_id: int, mail: InboundMail) -> Actor:
    actor = await owner_actor(session, organization_id, user_id)
    if actor is None:
        raise MailRefused(f"{mail.sender} is not a user of this Tessera organization.")
    return actor


async def _customer_actor(session: AsyncSession, target: _Target, policy: MailInPolicy, customer: User,
                          mail: InboundMail) -> Actor:
    """A customer holds no permission of their own: while the project's policy is "customer",
    their mail files issues in it and comments on the issues they reported, with the project's
    "users" role for this one message (what Jira Service Management's portal customers hold), so
    the issue and attachment services check it as for anyone."""
    if policy.unknown_senders != "customer":
        raise MailRefused(f"Project {target.project.key} takes no mail from customers.")
    if target.issue is not None and target.issue.reporter_id != customer.id:
        raise MailRefused(f"{mail.sender} may only reply to the issues they reported.")
    actor = await _actor(session, target.organization.id, customer.id, mail)
    actor.project_roles[target.project.id] = frozenset({"users"})
    return actor


async def _target(session: AsyncSession, settings: Settings, mail: InboundMail, *,
                  hidden: frozenset[int] | set[int] = frozenset()) -> _Target:
    """A signed reply address names its issue and wins; then a reply to a notification wins over
    the project address it was sent to, provided both are of one organization (a thread id of
    another organization in References is ignored then)."""
    project_target: _Target | None = None
    for recipient in mail.recipients:
        address = parse_project_address(settings, recipient)
        if address is None:
            continue
        if address.reply_token is not None:
            return await _reply_target(session, settings, address, hidden)
        if project_target is not None:
            continue
        row = (await session.execute(select(Organization, Project).join(
            Project, Project.organization_id == Organization.id).where(
            Organization.key == address.organization_key, Project.key == address.project_key))).first()
        if row is not None:
            project_target = _Target(row[0], row[1], None)
    for ref in thread_refs(settings, mail.references):
        if project_target is not None and ref.organization_id != project_target.organization.id:
            continue
        found = None if ref.issue_id in hidden else await _issue_target(session, ref.organization_id, ref.issue_id)
        if found is not None:
            return found
    if project_target is None:
        raise MailRefused("No project of this Tessera takes mail at "
                          f"{', '.join(mail.recipients) or 'this address'}, and the message replies to no "
                          "notification.")
    return project_target


async def _reply_target(session: AsyncSession, settings: Settings, address: ProjectAddress,
                        hidden: frozenset[int] | set[int]) -> _Target:
    """The issue a reply address's token names. The token is bound to the organization the
    address names, so one made for another organization (or altered) does not verify."""
    assert address.reply_token is not None
    organization_id = await session.scalar(select(Organization.id).where(
        Organization.key == address.organization_key))
    try:
        if organization_id is None:
            raise BadSignature("no such organization")
        token = read_reply_token(settings, organization_id=organization_id, token=address.reply_token)
    except BadSignature:
        raise MailRefused("The reply address is not valid: its token was altered or belongs elsewhere.") from None
    found = None if token.issue_id in hidden else await _issue_target(session, organization_id, token.issue_id)
    if found is None:
        raise MailRefused("The issue this reply address names no longer exists.")
    return found


async def _issue_target(session: AsyncSession, organization_id: int, issue_id: int) -> _Target | None:
    row = (await session.execute(select(Organization, Project, Issue).join(
        Project, Project.organization_id == Organization.id).join(
        Issue, (Issue.project_id == Project.id) & (Issue.organization_id == Organization.id)).where(
        Organization.id == organization_id, Issue.id == issue_id))).first()
    return None if row is None else _Target(row[0], row[1], row[2])


async def _reported_by(session: AsyncSession, organization_id: int, issue_id: int, sender: str) -> bool:
    return await session.scalar(select(MailInReceipt.id).where(
        MailInReceipt.organization_id == organization_id, MailInReceipt.issue_id == issue_id,
        MailInReceipt.sender == sender, MailInReceipt.external.is_(True)).limit(1)) is not None


def _staged(attachment: MailAttachment, max_bytes: int) -> StagedFile:
    stager = FileStager(attachment.filename, attachment.content_type, max_bytes=max_bytes)
    try:
        stager.admit(len(attachment.data))
        stager.write(attachment.data)
        return stager.finish()
    except BaseException:
        stager.discard()
        raise


async def _attach(database: Database, store: ObjectStore, settings: Settings, *, actor: Actor, issue_id: int,
                  files: tuple[MailAttachment, ...]) -> None:
    """Attachments the sender may not add (no permission, over the quota or the size limit) are
    left off with a log line; the issue or comment stands."""
    staged: list[StagedFile] = []
    for attachment in files:
        try:
            staged.append(_staged(attachment, settings.attachment_max_bytes))
        except TesseraError as error:
            log.warning("an attachment of mail to issue %s left off: %s", issue_id, error.message)
    if not staged:
        return
    try:
        await attach_staged_files(database, store, actor=actor, issue_id=issue_id, files=staged)
    except TesseraError as error:
        log.warning("attachments of mail to issue %s left off: %s", issue_id, error.message)

