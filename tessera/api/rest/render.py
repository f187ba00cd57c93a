"""Plain-dict views of non-issue entities (issues render in tessera.issues.views)."""

from __future__ import annotations

from typing import Any

from tessera.issues.views import iso
from tessera.projects.models import Component, CustomFieldDefinition, Project, Version
from tessera.tenancy.models import User


def project_view(project: Project) -> dict[str, Any]:
    return {"id": project.id, "key": project.key, "name": project.name, "description": project.description,
            "project_type": project.project_type, "lead_id": project.lead_id, "access": project.access,
            "archived": project.archived, "issue_count_estimate": project.issue_counter,
            "workflow_scheme_id": project.workflow_scheme_id, "permission_scheme_id": project.permission_scheme_id,
            "issue_type_scheme_id": project.issue_type_scheme_id,
            "created": iso(project.created_at), "updated": iso(project.updated_at), "version": project.version}


def user_view(user: User, *, full: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"id": user.id, "display_name": user.display_name, "email": user.email,
                            "active": user.active, "role": user.role}
    if full:
        view.update(organization_id=user.organization_id, time_zone=user.time_zone, created=iso(user.created_at))
    return view


def part_view(part: Component | Version) -> dict[str, Any]:
    view: dict[str, Any] = {"id": part.id, "project_id": part.project_id, "name": part.name,
                            "description": part.description}
    if isinstance(part, Component):
        view["lead_id"] = part.lead_id
    else:
        view.update(start_date=part.start_date.isoformat() if part.start_date else None,
                    release_date=part.release_date.isoformat() if part.release_date else None,
                    released=part.released, archived=part.archived)
    return view


def field_view(definition: CustomFieldDefinition, options: list | None = None) -> dict[str, Any]:
    return {"id": f"customfield_{10_000 + definition.id}", "numeric_id": definition.id, "key": definition.key,
            "name": definition.name, "custom": True, "field_type": definition.field_type,
            "description": definition.description, "project_ids": definition.project_ids,
            "issue_type_ids": definition.issue_type_ids,
            "options": [{"id": o.id, "value": o.value, "disabled": o.disabled} for o in options or []]}
