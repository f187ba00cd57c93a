"""/v2/audit: the organization's audit log, newest first, for its administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tessera.api.rest.responses.audit import AuditPageOut
from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import QueryId
from tessera.audit.queries import MAX_PAGE, AuditFilter, list_records, record_view
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
