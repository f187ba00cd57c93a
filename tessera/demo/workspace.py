"""The people, projects, components and versions a demo or load organization starts with,
created through the ordinary services so they are indistinguishable from hand-made ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.projects.components import check_create_part
from tessera.projects.models import Component, Project, Version
from tessera.projects.service import check_create_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Organization, User
from tessera.tenancy.service import check_create_user


@dataclass(frozen=True)
class ProjectSpec:
    key: str
    name: str
    project_type: str
    area: str  # which vocabulary writes its issues: "web", "api", "mobile", "ops"
    description: str
    components: tuple[str, ...]


@dataclass(frozen=True)
class VersionSpec:
    name: str
    start: date | None
    release: date | None
    released: bool


@dataclass
class ProjectParts:
    project: Project
    spec: ProjectSpec
    components: list[Component]
    versions: list[Version]


def actor_for(user: User) -> Actor:
    return Actor(organization_id=user.organization_id, user_id=user.id, email=user.email,
                 display_name=user.display_name, org_role=user.role, via="system")


async def create_users(session: AsyncSession, *, organization: Organization,
                       people: Sequence[tuple[str, str, str]], password: str | None) -> list[User]:
    """`people` are (display name, email, role)."""
    users = []
    for name, email, role in people:
        new = await check_create_user(session, organization=organization, email=email, display_name=name,
                                      password=password, role=role, with_token=False)
        users.append(new.user)
    return users


async def create_project_with_parts(session: AsyncSession, *, admin: Actor, spec: ProjectSpec, lead: User,
                                    versions: Sequence[VersionSpec],
                                    component_leads: Sequence[User]) -> ProjectParts:
    project = await check_create_project(session, actor=admin, key=spec.key, name=spec.name,
                                         description=spec.description, project_type=spec.project_type,
                                         lead_id=lead.id)
    components = []
    for index, name in enumerate(spec.components):
        component_lead = component_leads[index % len(component_leads)] if component_leads else None
        components.append(await check_create_part(
            session, actor=admin, model=Component, project=project,
            values={"name": name, "description": f"{name} in {spec.name}.",
                    "lead_id": component_lead.id if component_lead else None}))
    made_versions = []
    for version in versions:
        made_versions.append(await check_create_part(
            session, actor=admin, model=Version, project=project,
            values={"name": version.name, "description": f"{spec.name} {version.name}",
                    "start_date": version.start, "release_date": version.release, "released": version.released}))
    return ProjectParts(project=project, spec=spec, components=components, versions=made_versions)
