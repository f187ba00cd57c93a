"""A new organization with everything it needs on day one: catalogs, fields, the default
workflow, and its first administrator with an API token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.projects.catalog import do_create_default_catalogs
from tessera.projects.custom_fields import do_create_default_fields
from tessera.tenancy.models import Organization, User
from tessera.tenancy.service import check_add_organization, check_create_user
from tessera.workflow.service import do_create_template_workflows


@dataclass(frozen=True)
class NewOrganization:
    organization: Organization
    admin: User
    api_token: str


async def check_create_organization(session: AsyncSession, *, key: str, name: str, admin_email: str,
                                    admin_password: str | None, admin_name: str | None = None) -> NewOrganization:
    organization = await check_add_organization(session, key=key, name=name)
    await do_create_default_catalogs(session, organization_id=organization.id)
    await do_create_default_fields(session, organization_id=organization.id)
    await do_create_template_workflows(session, organization_id=organization.id)
    new_admin = await check_create_user(
        session, organization=organization, email=admin_email,
        display_name=admin_name or admin_email.split("@")[0].replace(".", " ").title(),
        password=admin_password, role="admin", with_token=True)
    assert new_admin.api_token is not None
    return NewOrganization(organization=organization, admin=new_admin.user, api_token=new_admin.api_token)
