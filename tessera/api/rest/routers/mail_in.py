"""/v2/projects/{project_id}/mail-in: a project's email address and its email-in policy (who may
read it: whoever may browse the project; who may change it: project administrators)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, StrictBool, StrictInt

from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import Body
from tessera.edge.context import RequestContext, request_context
from tessera.integrations.mail_in.policy import check_set_policy, get_policy, policy_view
from tessera.projects.service import access_project

router = APIRouter(prefix="/v2", tags=["projects"])
Ctx = Annotated[RequestContext, Depends(request_context)]


class MailInPolicyBody(Body):
    enabled: StrictBool | None = None
    unknown_senders: Literal["reject", "create", "customer"] | None = Field(
        default=None, description="What mail from an address that is no user does: refused, filed as "
                                  "on_behalf_of_id with the sender's address recorded, or filed by the sender "
                                  "as a customer of the organization (an account without login).")
    on_behalf_of_id: StrictInt | None = Field(default=None, description="The user who files unknown senders' mail.")
    issue_type: str | None = Field(default=None, max_length=255, description="The type of issues mail creates.")


class MailInPolicyOut(BaseModel):
    address: str = Field(description="Mail to this address creates an issue in the project.")
    enabled: bool
    unknown_senders: str
    on_behalf_of_id: int | None
    issue_type: str


@router.get("/projects/{project_id}/mail-in", responses=ok(MailInPolicyOut))
async def get_mail_in(project_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        return policy_view(ctx.settings, organization_key=actor.organization_key, project=project,
                           policy=await get_policy(session, project=project))


@router.put("/projects/{project_id}/mail-in", responses=ok(MailInPolicyOut))
async def put_mail_in(project_id: str, body: MailInPolicyBody, ctx: Ctx) -> dict:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        policy = await check_set_policy(session, actor=actor, project=project, **changes)
        return policy_view(ctx.settings, organization_key=actor.organization_key, project=project, policy=policy)
