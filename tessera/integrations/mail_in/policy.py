"""A project's email-in policy: on or off, what mail from unknown senders does, and the issue
type mail creates. A project without a stored policy has the default one (on; unknown senders
rejected; Task), so a team needs to configure nothing to mail its project."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.errors import InvalidInput
from tessera.integrations.mail_in.addresses import project_address
from tessera.integrations.mail_in.models import UNKNOWN_SENDER_POLICIES, MailInPolicy
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import CUSTOMER_ROLE, User
from tessera.tenancy.permissions import Permission, authorize

_UNSET = object()


async def get_policy(session: AsyncSession, *, project: Project) -> MailInPolicy:
    """The stored policy, or the default one (not added to the session)."""
    policy = await session.scalar(select(MailInPolicy).where(
        MailInPolicy.organization_id == project.organization_id, MailInPolicy.project_id == project.id))
    return policy or MailInPolicy(organization_id=project.organization_id, project_id=project.id, enabled=True,
                                  unknown_senders="reject", on_behalf_of_id=None, issue_type="Task")


async def access_policy(session: AsyncSession, *, actor: Actor, project: Project) -> MailInPolicy:
    """The policy, for a project administrator (who alone may change it, so the settings page is theirs)."""
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    return await get_policy(session, project=project)


async def check_set_policy(session: AsyncSession, *, actor: Actor, project: Project, enabled: bool | None = None,
                           unknown_senders: str | None = None, on_behalf_of_id: object = _UNSET,
                           issue_type: str | None = None) -> MailInPolicy:
    """Only the values given change. "create" needs an active user of the organization to act for
    unknown senders (whose own permissions then bound what such mail can do); "customer" needs
    nobody (the senders become customers, who may only file issues and reply to their own)."""
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    policy = await get_policy(session, project=project)
    if enabled is not None:
        policy.enabled = enabled
    if unknown_senders is not None:
        if unknown_senders not in UNKNOWN_SENDER_POLICIES:
            raise InvalidInput(f"unknown_senders must be one of {', '.join(UNKNOWN_SENDER_POLICIES)}.",
                               field="unknown_senders")
        policy.unknown_senders = unknown_senders
    if on_behalf_of_id is not _UNSET:
        if on_behalf_of_id is not None:
            user = await session.scalar(select(User).where(
                User.organization_id == actor.organization_id, User.id == on_behalf_of_id, User.active.is_(True),
                User.role != CUSTOMER_ROLE))
            if user is None:
                raise InvalidInput("on_behalf_of_id names no active user of this organization.",
                                   field="on_behalf_of_id")
        policy.on_behalf_of_id = on_behalf_of_id  # type: ignore[assignment]
    if issue_type is not None:
        if not issue_type.strip():
            raise InvalidInput("issue_type must name an issue type.", field="issue_type")
        policy.issue_type = issue_type.strip()[:255]
    if policy.unknown_senders == "create" and policy.on_behalf_of_id is None:
        raise InvalidInput("unknown_senders 'create' needs on_behalf_of_id: the user who files their mail.",
                           field="on_behalf_of_id")
    session.add(policy)
    await session.flush()
    return policy


def policy_view(settings: Settings, *, organization_key: str, project: Project, policy: MailInPolicy) -> dict:
    return {"address": project_address(settings, organization_key, project.key), "enabled": policy.enabled,
            "unknown_senders": policy.unknown_senders, "on_behalf_of_id": policy.on_behalf_of_id,
            "issue_type": policy.issue_type}
