"""/v2/audit: the organization's audit log, newest first, for its administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.rest.responses.audit import AuditPageOut, AuditRetentionOut
from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import Body, QueryId
from tessera.audit.queries import MAX_PAGE, AuditFilter, list_records, record_view
from tessera.audit.retention import MAX_RETENTION_DAYS, chain_of, set_retention
from tessera.edge.context import RequestContext, request_context
from tessera.tenancy.permissions import require_org_admin

router = APIRouter(prefix="/v2", tags=["audit"])
Ctx = Annotated[RequestContext, Depends(request_context)]
REFUSAL = "Only an organization administrator may read its audit log."


@router.get("/audit", responses=ok(AuditPageOut))
async def get_audit(ctx: Ctx,
                    action: Annotated[str | None, Query(max_length=96, description=(
                        "An action (issue.updated), or a prefix ending in a dot (issue.).")) ] = None,
                    actor: Annotated[QueryId | None, Query(description="The acting user's id.")] = None,
                    object_type: Annotated[str | None, Query(max_length=32, description="issue, user, webhook ...")
                                           ] = None,
                    object_id: Annotated[QueryId | None, Query()] = None,
                    object_key: Annotated[str | None, Query(max_length=255, description="An issue key.")] = None,
                    since: Annotated[datetime | None, Query(description="At or after.")] = None,
                    until: Annotated[datetime | None, Query(description="At or before.")] = None,
                    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
                    cursor: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    """Newest first, `limit` at a time; follow `next_cursor` for older ones."""
    async with ctx.transaction() as (session, who):
        require_org_admin(who, REFUSAL)
        where = AuditFilter(action=action, actor_user_id=actor, object_type=object_type, object_id=object_id,
                            object_key=object_key, since=since, until=until)
        page = await list_records(session, organization_id=who.organization_id, where=where, limit=limit,
                                  cursor=cursor)
        return {"limit": limit, "next_cursor": page.next_cursor, "records": [record_view(r) for r in page.records]}


class RetentionIn(Body):
    retention_days: int | None = Field(ge=1, le=MAX_RETENTION_DAYS, description="null: keep every record.")


async def _retention_view(session: AsyncSession, organization_id: int) -> dict:
    chain = await chain_of(session, organization_id)
    return {"retention_days": chain.retention_days if chain else None,
            "checkpoint_sequence": chain.checkpoint_sequence if chain else 0,
            "head_sequence": chain.sequence if chain else 0}


@router.get("/audit/retention", responses=ok(AuditRetentionOut))
async def get_retention(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, who):
        require_org_admin(who, REFUSAL)
        return await _retention_view(session, who.organization_id)


@router.put("/audit/retention", responses=ok(AuditRetentionOut))
async def put_retention(body: RetentionIn, ctx: Ctx) -> dict:
    """How long the organization keeps its records; `tessera audit purge` deletes the expired
    ones. The change is itself recorded."""
    async with ctx.transaction() as (session, who):
        require_org_admin(who, "Only an organization administrator may set how long its audit log is kept.")
        await set_retention(session, organization_id=who.organization_id, days=body.retention_days)
    async with ctx.read_after_commit() as session:
        return await _retention_view(session, who.organization_id)
