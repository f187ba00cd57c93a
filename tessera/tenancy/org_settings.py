"""An organization's own settings, changed by its administrators: its name and the defaults
given to the people it invites (tenancy.invitations)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import field_changes, record
from tessera.errors import InvalidInput
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import ORG_ROLES, Organization
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.time_zones import check_time_zone


@dataclass(frozen=True)
class OrganizationDefaults:
    role: str = "member"
    time_zone: str = "UTC"


def organization_defaults(organization: Organization) -> OrganizationDefaults:
    stored = organization.settings or {}
    base = OrganizationDefaults()
    return OrganizationDefaults(role=stored.get("default_role") or base.role,
                                time_zone=stored.get("default_time_zone") or base.time_zone)


async def access_organization(session: AsyncSession, actor: Actor) -> Organization:
    organization = await session.get(Organization, actor.organization_id)
    assert organization is not None  # the actor was authenticated in it
    return organization


async def check_update_organization(session: AsyncSession, *, actor: Actor, name: str, default_role: str,
                                    default_time_zone: str) -> Organization:
    """The key never changes: API clients and `tessera --org KEY` name the organization by it."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    organization = await access_organization(session, actor)
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("An organization needs a name of at most 255 characters.", field="name")
    if default_role not in ORG_ROLES:
        raise InvalidInput(f"The default role is one of {', '.join(ORG_ROLES)}.", field="default_role")
    try:
        time_zone = check_time_zone(default_time_zone)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="default_time_zone") from None
    before = {"name": organization.name, **_stored(organization_defaults(organization))}
    organization.name = name
    # A new dict, so that the JSON column is seen as changed.
    organization.settings = {**(organization.settings or {}), "default_role": default_role,
                             "default_time_zone": time_zone}
    await session.flush()
    changes = field_changes(before, {"name": name, "default_role": default_role, "default_time_zone": time_zone})
    if changes:
        record(session, organization_id=organization.id, action="organization.changed", object_type="organization",
               object_id=organization.id, object_key=organization.key, changes=changes)
    return organization


def _stored(defaults: OrganizationDefaults) -> dict[str, str]:
    return {"default_role": defaults.role, "default_time_zone": defaults.time_zone}
