"""Reading and deleting stored builds and deployments by their Jira keys, for the CI that sent
them (check_ci_submitter): an organization administrator's token or a CI-scoped one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import NotFound
from tessera.integrations.ci.models import CiBuild, CiBuildIssue, CiDeployment, CiDeploymentIssue
from tessera.integrations.ci.storage import (
    do_delete_where,
    get_build,
    get_deployment,
    ids_with_properties,
    linked_issue_keys,
)
from tessera.integrations.ci.submissions import check_ci_submitter
from tessera.tenancy.actor import Actor


async def access_build(session: AsyncSession, actor: Actor, *, pipeline_id: str,
                       build_number: int) -> tuple[CiBuild, list[str]]:
    """The build and the keys of the issues it is linked to."""
    check_ci_submitter(actor)
    build = await get_build(session, organization_id=actor.organization_id, pipeline_id=pipeline_id,
                            build_number=build_number)
    if build is None:
        raise NotFound("No build has this key.")
    return build, await linked_issue_keys(session, organization_id=actor.organization_id, link=CiBuildIssue,
                                          link_column="build_id", row_id=build.id)


async def access_deployment(session: AsyncSession, actor: Actor, *, pipeline_id: str, environment_id: str,
                            deployment_sequence_number: int) -> tuple[CiDeployment, list[str]]:
    check_ci_submitter(actor)
    deployment = await get_deployment(session, organization_id=actor.organization_id, pipeline_id=pipeline_id,
                                      environment_id=environment_id,
                                      deployment_sequence_number=deployment_sequence_number)
    if deployment is None:
        raise NotFound("No deployment has this key.")
    return deployment, await linked_issue_keys(session, organization_id=actor.organization_id,
                                               link=CiDeploymentIssue, link_column="deployment_id",
                                               row_id=deployment.id)


async def do_delete_build(session: AsyncSession, actor: Actor, *, pipeline_id: str, build_number: int,
                          at_most_sequence: int | None) -> int:
    """Deleting what is not there is no error (Jira deletes asynchronously and answers 202)."""
    check_ci_submitter(actor)
    return await do_delete_where(session, model=CiBuild, organization_id=actor.organization_id,
                                 conditions=[CiBuild.pipeline_id == pipeline_id,
                                             CiBuild.build_number == build_number],
                                 at_most_sequence=at_most_sequence)


async def do_delete_deployment(session: AsyncSession, actor: Actor, *, pipeline_id: str, environment_id: str,
                               deployment_sequence_number: int, at_most_sequence: int | None) -> int:
    check_ci_submitter(actor)
    return await do_delete_where(
        session, model=CiDeployment, organization_id=actor.organization_id,
        conditions=[CiDeployment.pipeline_id == pipeline_id, CiDeployment.environment_id == environment_id,
                    CiDeployment.deployment_sequence_number == deployment_sequence_number],
        at_most_sequence=at_most_sequence)


async def do_delete_by_properties(session: AsyncSession, actor: Actor, *, model: Any, digests: list[str]) -> int:
    """Deletes the rows stored with all of the properties (Jira's bulkByProperties, an AND)."""
    check_ci_submitter(actor)
    conditions = await ids_with_properties(session, model=model, organization_id=actor.organization_id,
                                           digests=digests)
    return await do_delete_where(session, model=model, organization_id=actor.organization_id,
                                 conditions=conditions)
