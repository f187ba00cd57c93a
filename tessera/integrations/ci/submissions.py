"""Accepting CI reports: who may send them, and Jira's outcome for each item (accepted,
rejected with the reasons, the issue keys that name nothing here).

Stored synchronously in the request's transaction, which Jira's clients allow (they confirm
with the GET by key). A report is linked to the keys of the organization's issues that exist
and rejected only when none does (reference §3.5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput, PermissionDenied
from tessera.integrations.ci.jira_bodies import BulkRequest, Rejected
from tessera.integrations.ci.reports import BuildReport, DeploymentReport
from tessera.integrations.ci.storage import do_store_build, do_store_deployment, resolve_issue_refs
from tessera.tenancy.actor import Actor
from tessera.tenancy.token_scopes import CI

CI_SCOPES = frozenset({CI})


@dataclass
class Outcome:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unknown_issue_keys: list[str] = field(default_factory=list)
    unknown_associations: list[dict[str, Any]] = field(default_factory=list)
    # Whether each accepted report was written (False: a newer one was already stored).
    written: list[bool] = field(default_factory=list)


def check_ci_submitter(actor: Actor) -> None:
    """An organization administrator, or a token scoped to CI (which may do nothing else)."""
    if actor.token_scope != CI and not actor.is_org_admin:
        raise PermissionDenied("Builds and deployments are sent with an organization administrator's API token "
                               "or a token scoped to CI.", code="ci_token_required")


def build_key(report: BuildReport) -> dict[str, Any]:
    return {"pipelineId": report.pipeline_id, "buildNumber": report.build_number}


def deployment_key(report: DeploymentReport) -> dict[str, Any]:
    return {"pipelineId": report.pipeline_id, "environmentId": report.environment_id,
            "deploymentSequenceNumber": report.deployment_sequence_number}


async def submit(session: AsyncSession, actor: Actor, *, request: BulkRequest) -> Outcome:
    """Stores every valid item of a bulk request in the actor's organization."""
    check_ci_submitter(actor)
    outcome = Outcome()
    refs = [ref for item in request.items if not isinstance(item, Rejected)
            for ref in (item.issue_keys if isinstance(item, BuildReport) else item.issue_refs)]
    found, unknown = await resolve_issue_refs(session, organization_id=actor.organization_id, refs=refs)
    outcome.unknown_issue_keys = unknown
    for item in request.items:
        if isinstance(item, Rejected):
            outcome.rejected.append({"key": item.key, "errors": [{"message": item.message}]})
            continue
        await _submit_one(session, actor, item, found, request, outcome)
    return outcome


async def _submit_one(session: AsyncSession, actor: Actor, item: BuildReport | DeploymentReport,
                      found: dict[str, int], request: BulkRequest, outcome: Outcome) -> None:
    is_build = isinstance(item, BuildReport)
    key = build_key(item) if isinstance(item, BuildReport) else deployment_key(item)
    refs = item.issue_keys if isinstance(item, BuildReport) else item.issue_refs
    issue_ids = [found[ref] for ref in refs if ref in found]
    if isinstance(item, DeploymentReport) and item.other_associations:
        outcome.unknown_associations += item.other_associations
    if not issue_ids:
        what = "build" if is_build else "deployment"
        outcome.rejected.append({"key": key, "errors": [{"message": f"None of the {what}'s issue keys names an "
                                                                    "issue of this organization."}]})
        return
    store = do_store_build if is_build else do_store_deployment
    written = await store(session, organization_id=actor.organization_id, report=item,  # type: ignore[operator]
                          issue_ids=issue_ids, property_digests=request.property_digests,
                          provider=request.provider)
    outcome.accepted.append(key)
    outcome.written.append(written)


@dataclass(frozen=True)
class SingleOutcome:
    written: bool
    unknown_issue_keys: list[str]


async def check_submit_one(session: AsyncSession, actor: Actor, *, report: BuildReport | DeploymentReport,
                           provider: str | None = None) -> SingleOutcome:
    """One report of the plain /v2 form: what the bulk APIs would reject is InvalidInput here."""
    outcome = await submit(session, actor, request=BulkRequest([report], [], provider))
    if outcome.rejected:
        raise InvalidInput(outcome.rejected[0]["errors"][0]["message"], field="issue_keys",
                           data={"unknown_issue_keys": outcome.unknown_issue_keys})
    return SingleOutcome(written=outcome.written[0], unknown_issue_keys=outcome.unknown_issue_keys)
