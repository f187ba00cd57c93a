"""The query root. Lookups answer NOT_FOUND for anything missing, invisible to the caller, or of
another organization, in the same words for all three."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from tessera.agile.sprints import access_sprint
from tessera.api.graphql.issues import IssueConnection, IssueNode, find_issue, search_connection, validate_page_size
from tessera.api.graphql.nodes import Ctx, OrganizationNode, UserNode
from tessera.api.graphql.projects import ProjectNode, SprintNode
from tessera.db.refs import require_id
from tessera.projects.service import access_project, list_projects
from tessera.tenancy.models import Organization
from tessera.tenancy.service import access_user, list_users


def _id(ref: str, what: str) -> int:
    return require_id(ref, not_found=f"{what} not found.")


@strawberry.type
class Query:
    @strawberry.field(description="Your organization.")
    async def organization(self, info: Ctx) -> OrganizationNode:
        async with info.context.reading() as (session, actor):
            row = await session.scalar(select(Organization).where(Organization.id == actor.organization_id))
        return OrganizationNode(row=row)

    @strawberry.field(description="You, the authenticated user.")
    async def viewer(self, info: Ctx) -> UserNode:
        async with info.context.reading() as (session, actor):
            return UserNode(row=await access_user(session, actor, actor.user_id))

    @strawberry.field(description="A project by id or key.")
    async def project(self, info: Ctx, id: strawberry.ID) -> ProjectNode | None:
        async with info.context.reading() as (session, actor):
            row = await access_project(session, actor, str(id))
        info.context.loaders.projects.prime(row.id, row)
        return ProjectNode(row=row)

    @strawberry.field(description="The projects you may browse, by key.")
    async def projects(self, info: Ctx, include_archived: bool = False) -> list[ProjectNode]:
        async with info.context.reading() as (session, actor):
            rows = await list_projects(session, actor, include_archived=include_archived)
        return [ProjectNode(row=row) for row in rows]

    @strawberry.field(description="An issue by id or key.")
    async def issue(self, info: Ctx, id: strawberry.ID) -> IssueNode | None:
        return await find_issue(info, str(id))

    @strawberry.field(description="Issues matching a JQL query, with your permissions, in pages (at most 100): "
                                  "pass pageInfo.endCursor as `after` for the next one.")
    async def issues(self, info: Ctx, jql: str = "", first: int = 50, after: str | None = None) -> IssueConnection:
        return await search_connection(info, jql, first, after)

    @strawberry.field(description="A user of your organization.")
    async def user(self, info: Ctx, id: strawberry.ID) -> UserNode | None:
        async with info.context.reading() as (session, actor):
            return UserNode(row=await access_user(session, actor, _id(str(id), "User")))

    @strawberry.field(description="Users of your organization whose name or email contains `query`.")
    async def users(self, info: Ctx, query: str | None = None, first: int = 50) -> list[UserNode]:
        validate_page_size(first)
        async with info.context.reading() as (session, actor):
            rows, _ = await list_users(session, actor, query=query, max_results=first)
        return [UserNode(row=row) for row in rows]

    @strawberry.field(description="A sprint of a project you may browse.")
    async def sprint(self, info: Ctx, id: strawberry.ID) -> SprintNode | None:
        async with info.context.reading() as (session, actor):
            row, _, _ = await access_sprint(session, actor, _id(str(id), "Sprint"))
        return SprintNode(row=row)
