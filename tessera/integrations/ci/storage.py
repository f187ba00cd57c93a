"""Writing and reading builds and deployments, always within one organization.

A report is written with upsert_if_newer, so of two reports of one key the one with the greater
updateSequenceNumber wins whatever order they arrive or commit in; the issue links are replaced
only by the report that wrote the row (it holds the row's lock until its commit)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.base import utcnow
from tessera.db.refs import parse_id, parse_issue_key
from tessera.db.upsert import upsert_if_newer
from tessera.integrations.ci.models import CiBuild, CiBuildIssue, CiDeployment, CiDeploymentIssue
from tessera.integrations.ci.reports import BuildReport, DeploymentReport
from tessera.issues.models import Issue

BUILD_KEY = ("organization_id", "pipeline_id", "build_number")
DEPLOYMENT_KEY = ("organization_id", "pipeline_id", "environment_id", "deployment_sequence_number")


async def resolve_issue_refs(session: AsyncSession, *, organization_id: int,
                             refs: Iterable[str]) -> tuple[dict[str, int], list[str]]:
    """The organization's issues named by keys (any case) or numeric ids: ref -> issue id, and
    the refs that name none of its issues (another organization's issue is as unknown as a
    missing one)."""
    refs = list(dict.fromkeys(refs))
    keys = {ref: parse_issue_key(ref) for ref in refs if not ref.isdecimal()}
    ids = {ref: parse_id(ref) for ref in refs if ref.isdecimal()}
    found: dict[str, int] = {}
    wanted_keys = {key for key in keys.values() if key}
    if wanted_keys:
        rows = await session.execute(select(Issue.key, Issue.id).where(
            Issue.organization_id == organization_id, Issue.key.in_(wanted_keys)))
        by_key = {key: issue_id for key, issue_id in rows.all()}
        found |= {ref: by_key[key] for ref, key in keys.items() if key in by_key}
    wanted_ids = {number for number in ids.values() if number is not None}
    if wanted_ids:
        existing = set((await session.scalars(select(Issue.id).where(
            Issue.organization_id == organization_id, Issue.id.in_(wanted_ids)))).all())
        found |= {ref: number for ref, number in ids.items() if number in existing}
    return found, [ref for ref in refs if ref not in found]


async def do_store_build(session: AsyncSession, *, organization_id: int, report: BuildReport,
                         issue_ids: Sequence[int], property_digests: list[str], provider: str | None) -> bool:
    """True when the report was written; False when a report with an equal or greater
    updateSequenceNumber is already stored (Jira counts that as accepted all the same)."""
    now = utcnow()
    values: dict[str, Any] = {
        **asdict(report), "organization_id": organization_id, "issue_keys": list(report.issue_keys),
        "property_digests": property_digests, "provider": provider, "created_at": now, "updated_at": now}
    return await _store(session, CiBuild, BUILD_KEY, values, CiBuildIssue, "build_id", organization_id, issue_ids)


async def do_store_deployment(session: AsyncSession, *, organization_id: int, report: DeploymentReport,
                              issue_ids: Sequence[int], property_digests: list[str], provider: str | None) -> bool:
    now = utcnow()
    values = asdict(report)
    for transient in ("issue_refs", "other_associations"):
        values.pop(transient)
    values |= {"organization_id": organization_id, "property_digests": property_digests, "provider": provider,
               "created_at": now, "updated_at": now}
    return await _store(session, CiDeployment, DEPLOYMENT_KEY, values, CiDeploymentIssue, "deployment_id",
                        organization_id, issue_ids)


async def _store(session: AsyncSession, model: Any, key: Sequence[str], values: dict[str, Any], link: Any,
                 link_column: str, organization_id: int, issue_ids: Sequence[int]) -> bool:
    connection = await session.connection()
    statement = upsert_if_newer(connection.dialect.name, model.__table__, index_elements=key, values=values,
                                order_column="update_sequence_number")
    row_id = (await connection.execute(statement)).scalar()
    if row_id is None:
        return False
    await connection.execute(delete(link.__table__).where(
        link.__table__.c.organization_id == organization_id, link.__table__.c[link_column] == row_id))
    if issue_ids:
        await connection.execute(insert(link.__table__), [
            {"organization_id": organization_id, link_column: row_id, "issue_id": issue_id}
            for issue_id in dict.fromkeys(issue_ids)])
    return True


async def get_build(session: AsyncSession, *, organization_id: int, pipeline_id: str,
                    build_number: int) -> CiBuild | None:
    return await session.scalar(select(CiBuild).where(
        CiBuild.organization_id == organization_id, CiBuild.pipeline_id == pipeline_id,
        CiBuild.build_number == build_number))


async def get_deployment(session: AsyncSession, *, organization_id: int, pipeline_id: str, environment_id: str,
                         deployment_sequence_number: int) -> CiDeployment | None:
    return await session.scalar(select(CiDeployment).where(
        CiDeployment.organization_id == organization_id, CiDeployment.pipeline_id == pipeline_id,
        CiDeployment.environment_id == environment_id,
        CiDeployment.deployment_sequence_number == deployment_sequence_number))


async def linked_issue_keys(session: AsyncSession, *, organization_id: int, link: Any, link_column: str,
                            row_id: int) -> list[str]:
    rows = await session.scalars(select(Issue.key).join(link, link.issue_id == Issue.id).where(
        link.organization_id == organization_id, getattr(link, link_column) == row_id).order_by(Issue.key))
    return list(rows.all())


async def do_delete_where(session: AsyncSession, *, model: Any, organization_id: int, conditions: list[Any],
                          at_most_sequence: int | None = None) -> int:
    """Deletes the organization's rows matching `conditions` (links go by cascade, deleted here
    too since SQLite may run without foreign keys); `at_most_sequence`: only rows whose
    updateSequenceNumber is at most this (Jira's `_updateSequenceNumber`)."""
    query = select(model.id).where(model.organization_id == organization_id, *conditions)
    if at_most_sequence is not None:
        query = query.where(model.update_sequence_number <= at_most_sequence)
    ids = list((await session.scalars(query)).all())
    if not ids:
        return 0
    link, column = (CiBuildIssue, "build_id") if model is CiBuild else (CiDeploymentIssue, "deployment_id")
    await session.execute(delete(link).where(link.organization_id == organization_id, getattr(link, column).in_(ids)))
    await session.execute(delete(model).where(model.organization_id == organization_id, model.id.in_(ids)))
    kind = "ci_build" if model is CiBuild else "ci_deployment"
    record(session, organization_id=organization_id, action=f"{kind}.deleted", object_type=kind,
           changes={"ids": ids[:1000], "count": len(ids)})
    return len(ids)


async def ids_with_properties(session: AsyncSession, *, model: Any, organization_id: int,
                              digests: list[str]) -> list[Any]:
    """Conditions selecting the rows stored with every one of `digests` (bulkByProperties). The
    digests are JSON, read in Python: such deletes are rare and one organization's rows few."""
    rows = await session.execute(select(model.id, model.property_digests).where(
        model.organization_id == organization_id))
    wanted = set(digests)
    matching = [row_id for row_id, stored in rows.all() if wanted <= set(stored or [])]
    return [model.id.in_(matching)]
