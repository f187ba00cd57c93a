"""/v2/users/{id}/export and /v2/users/{id}/erase: a user's data rights (tessera.gdpr)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.people import ErasureOut
from tessera.api.rest.schemas import Body, StoredId
from tessera.edge.context import RequestContext, request_context
from tessera.errors import PermissionDenied
from tessera.gdpr.erase import check_erasure_confirmed, do_erase_user
from tessera.gdpr.export import do_export_user
from tessera.tenancy.models import Organization
from tessera.tenancy.permissions import require_org_admin
from tessera.tenancy.service import access_user

router = APIRouter(prefix="/v2", tags=["users"])
Ctx = Annotated[RequestContext, Depends(request_context)]


@router.get("/users/{user_id}/export", response_class=Response, responses={200: {
    "content": {"application/zip": {}}, "description": "A zip of JSON files (README, 'Data rights')."}})
async def export_user(user_id: StoredId, ctx: Ctx) -> Response:
    """Everything stored about the user, for the user themselves or an organization
    administrator. The export is recorded in the audit log."""
    async with ctx.transaction(write=True) as (session, actor):
        user = await access_user(session, actor, user_id)
        if user.id != actor.user_id and not actor.is_org_admin:
            raise PermissionDenied("Only the user or an organization administrator may export a user's data.")
        organization = await session.get(Organization, actor.organization_id)
        assert organization is not None
        archive = await do_export_user(session, organization=organization, user=user, via="api",
                                       actor_user_id=actor.user_id)
    return Response(archive.to_zip(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="tessera-user-{user.id}.zip"'})


class ErasureIn(Body):
    confirm: str = Field(max_length=320, description="The user's email: an erasure cannot be undone.")


@router.post("/users/{user_id}/erase", responses=ok(ErasureOut))
async def erase_user(user_id: StoredId, body: ErasureIn, ctx: Ctx) -> dict:
    """Anonymise the user everywhere in the organization (organization administrators)."""
    async with ctx.transaction() as (session, actor):
        user = await access_user(session, actor, user_id)
        require_org_admin(actor, "Only an organization administrator may erase a user.")
        check_erasure_confirmed(user, body.confirm, actor)
        report = await do_erase_user(session, user=user, actor_user_id=actor.user_id, via="api",
                                     store=ctx.request.app.state.object_store)
        return report.view()
