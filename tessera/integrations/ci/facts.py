"""Issue facts from CI data for queries (JQL's `development[builds].failing`, and which
environments an issue was deployed to), as uncorrelated SELECTs of issue ids filtered on the
organization, the shape tessera.jql.id_sets takes (registered for JQL by
tessera.integrations.development_facts).

"Latest" means what the panel shows (tessera.integrations.ci.panel): the greatest build number
of each pipeline among the builds linked to the issue, and the most recent deployment to each
environment. Failing = latest state `failed` (reference §3.6 calls this reading reasonable)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from tessera.integrations.ci.models import CiBuild, CiBuildIssue, CiDeployment, CiDeploymentIssue


def _latest_builds(organization_id: int) -> Select:  # type: ignore[type-arg]
    """(issue_id, build) pairs where no later build of the same pipeline is linked to the issue."""
    newer_link, newer = aliased(CiBuildIssue), aliased(CiBuild)
    superseded = exists().where(
        newer_link.organization_id == organization_id, newer_link.issue_id == CiBuildIssue.issue_id,
        newer.id == newer_link.build_id, newer.organization_id == organization_id,
        newer.pipeline_id == CiBuild.pipeline_id, newer.build_number > CiBuild.build_number)
    return (select(CiBuildIssue.issue_id).join(CiBuild, CiBuild.id == CiBuildIssue.build_id)
            .where(CiBuildIssue.organization_id == organization_id, CiBuild.organization_id == organization_id,
                   ~superseded))


def latest_build_rows(organization_id: int, *, state: str | None = None) -> Select:  # type: ignore[type-arg]
    """Issue ids, once per pipeline whose latest build linked to the issue is in `state` (any
    state: once per pipeline): what `development[builds].failing` and the like count."""
    latest = _latest_builds(organization_id)
    return latest if state is None else latest.where(CiBuild.state == state)


def failing_build_counts(organization_id: int) -> Select:  # type: ignore[type-arg]
    """(issue_id, failing): the issues with at least one pipeline whose latest build failed, and
    how many such pipelines; an issue missing here has none (`failing = 0`)."""
    latest = latest_build_rows(organization_id, state="failed")
    return (latest.add_columns(func.count().label("failing")).group_by(CiBuildIssue.issue_id))


def latest_deployment_rows(organization_id: int) -> Select:  # type: ignore[type-arg]
    """Issue ids, once per environment the issue was deployed to (its latest deployment there
    is the row joined in)."""
    newer_link, newer = aliased(CiDeploymentIssue), aliased(CiDeployment)
    superseded = exists().where(
        newer_link.organization_id == organization_id, newer_link.issue_id == CiDeploymentIssue.issue_id,
        newer.id == newer_link.deployment_id, newer.organization_id == organization_id,
        newer.environment_id == CiDeployment.environment_id,
        or_(newer.last_updated > CiDeployment.last_updated,
            and_(newer.last_updated == CiDeployment.last_updated,
                 newer.deployment_sequence_number > CiDeployment.deployment_sequence_number)))
    return (select(CiDeploymentIssue.issue_id)
            .join(CiDeployment, CiDeployment.id == CiDeploymentIssue.deployment_id)
            .where(CiDeploymentIssue.organization_id == organization_id,
                   CiDeployment.organization_id == organization_id, ~superseded))


def issues_deployed_to(organization_id: int, *, environment_type: str | None = None,
                       environment_name: str | None = None, state: str | None = None) -> Select:  # type: ignore[type-arg]
    """Distinct ids of the issues whose latest deployment to some environment matches: of that
    environment type (`production`...), environment name (case-insensitive) and state."""
    query = latest_deployment_rows(organization_id).distinct()
    if environment_type is not None:
        query = query.where(CiDeployment.environment_type == environment_type)
    if environment_name is not None:
        query = query.where(func.lower(CiDeployment.environment_name) == environment_name.lower())
    if state is not None:
        query = query.where(CiDeployment.state == state)
    return query


def issues_shipped_to(organization_id: int, environments: Sequence[str] | None) -> Select:  # type: ignore[type-arg]
    """Distinct ids of the issues whose latest deployment to an environment succeeded, where the
    environment's type or its name is one of `environments` (case-insensitive; None: any):
    `development[deployments].environment = production`."""
    query = latest_deployment_rows(organization_id).distinct().where(CiDeployment.state == "successful")
    if environments is None:
        return query
    wanted = sorted({name.strip().lower() for name in environments})
    return query.where(or_(CiDeployment.environment_type.in_(wanted),
                           func.lower(CiDeployment.environment_name).in_(wanted)))
