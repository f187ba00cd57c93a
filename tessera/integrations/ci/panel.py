"""The builds and deployments of one issue, for its development panel (API and web page).

Only the latest build of each pipeline (the greatest build number) and the latest deployment
to each environment count, as on Jira's panel; each section is newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.integrations.ci.models import CiBuild, CiBuildIssue, CiDeployment, CiDeploymentIssue
from tessera.issues.views import iso


async def builds_and_deployments(session: AsyncSession, *, organization_id: int, issue_id: int) -> dict[str, list]:
    """The caller has checked that the actor may browse the issue."""
    builds = (await session.scalars(select(CiBuild).join(CiBuildIssue, CiBuildIssue.build_id == CiBuild.id).where(
        CiBuildIssue.organization_id == organization_id, CiBuildIssue.issue_id == issue_id,
        CiBuild.organization_id == organization_id))).all()
    deployments = (await session.scalars(select(CiDeployment).join(
        CiDeploymentIssue, CiDeploymentIssue.deployment_id == CiDeployment.id).where(
        CiDeploymentIssue.organization_id == organization_id, CiDeploymentIssue.issue_id == issue_id,
        CiDeployment.organization_id == organization_id))).all()
    latest_builds: dict[str, CiBuild] = {}
    for build in builds:
        kept = latest_builds.get(build.pipeline_id)
        if kept is None or build.build_number > kept.build_number:
            latest_builds[build.pipeline_id] = build
    latest_deployments: dict[str, CiDeployment] = {}
    for deployment in deployments:
        kept_deployment = latest_deployments.get(deployment.environment_id)
        if kept_deployment is None or _deployment_order(deployment) > _deployment_order(kept_deployment):
            latest_deployments[deployment.environment_id] = deployment
    return {
        "builds": [build_view(b) for b in sorted(latest_builds.values(), key=lambda b: (b.last_updated, b.id),
                                                 reverse=True)],
        "deployments": [deployment_view(d) for d in sorted(latest_deployments.values(), key=_deployment_order,
                                                           reverse=True)]}


def _deployment_order(deployment: CiDeployment) -> tuple:
    """Within one pipeline the sequence number orders deployments; across pipelines, the time."""
    return (deployment.last_updated, deployment.deployment_sequence_number, deployment.id)


def build_view(build: CiBuild) -> dict[str, Any]:
    return {"pipeline_id": build.pipeline_id, "build_number": build.build_number, "name": build.display_name,
            "description": build.description, "label": build.label, "state": build.state, "url": build.url,
            "last_updated": iso(build.last_updated), "test_info": build.test_info,
            "references": build.references or [], "provider": build.provider}


def deployment_view(deployment: CiDeployment) -> dict[str, Any]:
    return {"pipeline": {"id": deployment.pipeline_id, "name": deployment.pipeline_name,
                         "url": deployment.pipeline_url},
            "environment": {"id": deployment.environment_id, "name": deployment.environment_name,
                            "type": deployment.environment_type},
            "deployment_sequence_number": deployment.deployment_sequence_number, "name": deployment.display_name,
            "description": deployment.description, "label": deployment.label, "state": deployment.state,
            "url": deployment.url, "last_updated": iso(deployment.last_updated), "duration": deployment.duration,
            "provider": deployment.provider}
