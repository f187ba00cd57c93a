"""/v2/users/me/slack and /v2/projects/{project_id}/slack: the Slack incoming webhook that the
signed-in user's notifications, or a project's channel messages, are posted to. The URL is a
secret: answers show only a hint of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import Body
from tessera.edge.context import RequestContext, request_context
from tessera.notifications.slack.service import (
    check_delete_project_slack,
    check_set_project_slack,
    check_set_user_slack,
    do_delete_user_slack,
    get_project_slack,
    get_user_slack,
    slack_view,
)
from tessera.projects.service import access_project

router = APIRouter(prefix="/v2", tags=["notifications"])
Ctx = Annotated[RequestContext, Depends(request_context)]


class SlackWebhookBody(Body):
    url: str = Field(max_length=2000, description="A Slack incoming webhook URL (https://hooks.slack.com/services/...).")


class SlackWebhookOut(BaseModel):
    configured: bool
    url_hint: str | None = Field(description="The scheme, host and last characters of the URL.")
    updated: str | None


@router.get("/users/me/slack", responses=ok(SlackWebhookOut))
async def get_my_slack(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return slack_view(await get_user_slack(session, actor))


@router.put("/users/me/slack", responses=ok(SlackWebhookOut))
async def put_my_slack(body: SlackWebhookBody, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return slack_view(await check_set_user_slack(session, actor=actor, settings=ctx.settings, url=body.url))


@router.delete("/users/me/slack", status_code=204)
async def delete_my_slack(ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await do_delete_user_slack(session, actor=actor)
    return Response(status_code=204)


@router.get("/projects/{project_id}/slack", responses=ok(SlackWebhookOut))
async def get_project_channel(project_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        return slack_view(await get_project_slack(session, actor, project))


@router.put("/projects/{project_id}/slack", responses=ok(SlackWebhookOut))
async def put_project_channel(project_id: str, body: SlackWebhookBody, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        return slack_view(await check_set_project_slack(session, actor=actor, settings=ctx.settings,
                                                        project=project, url=body.url))


@router.delete("/projects/{project_id}/slack", status_code=204)
async def delete_project_channel(project_id: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_id)
        await check_delete_project_slack(session, actor=actor, project=project)
    return Response(status_code=204)
