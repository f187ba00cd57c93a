"""Leaf types of the schema: users, the organization, statuses, comments and change history.
Each wraps a domain row; anything it refers to is resolved through the request's loaders."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import strawberry
from strawberry.types import Info

from tessera.api.graphql.context import GraphQLContext
from tessera.api.graphql.rows import row_id, row_value
from tessera.issues.comments.models import Comment
from tessera.tenancy.avatars import initials_svg
from tessera.tenancy.models import Organization, User
from tessera.workflow.models import CATEGORY_NAMES, Status

Ctx = Info[GraphQLContext, None]


def generated_avatar(name: str) -> str:
    """A small SVG with the user's initials, as a data: URL, for users without a picture."""
    return "data:image/svg+xml;utf8," + quote(initials_svg(name))


@strawberry.type(name="User")
class UserNode:
    row: strawberry.Private[User]
    id: strawberry.ID = row_id()
    name: str = row_value("display_name", description="The display name.")
    display_name: str = row_value("display_name")
    email: str = row_value("email")

    @strawberry.field
    def active(self) -> bool:
        return bool(self.row.active)

    @strawberry.field(description="The user's picture URL, or a generated one with their initials.")
    def avatar(self) -> str:
        return self.row.avatar_url or generated_avatar(self.row.display_name)


async def user_node(info: Ctx, user_id: int | None) -> UserNode | None:
    if user_id is None:
        return None
    row = await info.context.loaders.users.load(user_id)
    return UserNode(row=row) if row is not None else None


@strawberry.type(name="Organization")
class OrganizationNode:
    row: strawberry.Private[Organization]
    id: strawberry.ID = row_id()
    key: str = row_value("key")
    name: str = row_value("name")
    tier: str = row_value("tier")


@strawberry.type(name="Status")
class StatusNode:
    row: strawberry.Private[Status]
    id: strawberry.ID = row_id()
    name: str = row_value("name")
    category: str = row_value("category", description="todo, in_progress or done.")

    @strawberry.field(description="To Do, In Progress or Done.")
    def category_name(self) -> str:
        return CATEGORY_NAMES[self.row.category]


@strawberry.type(name="Comment")
class CommentNode:
    row: strawberry.Private[Comment]
    id: strawberry.ID = row_id()
    body: str = row_value("body", description="Markdown source; empty for a deleted comment.")

    @strawberry.field(description="The author's display name.")
    async def author(self, info: Ctx) -> str | None:
        if self.row.deleted_at is not None:
            return None
        user = await user_node(info, self.row.author_id)
        return user.row.display_name if user else None

    @strawberry.field
    async def author_user(self, info: Ctx) -> UserNode | None:
        return None if self.row.deleted_at is not None else await user_node(info, self.row.author_id)

    @strawberry.field
    def created(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def updated(self) -> datetime:
        return self.row.updated_at

    @strawberry.field
    def parent_id(self) -> strawberry.ID | None:
        return strawberry.ID(str(self.row.parent_id)) if self.row.parent_id else None

    @strawberry.field(description="The project role the comment is restricted to, if any.")
    def visibility_role(self) -> str | None:
        return self.row.visibility_role

    @strawberry.field
    def edited(self) -> bool:
        return self.row.updated_at != self.row.created_at and self.row.deleted_at is None

    @strawberry.field
    def deleted(self) -> bool:
        return self.row.deleted_at is not None

    @strawberry.field
    def version(self) -> int:
        return self.row.version


@strawberry.type(name="ChangeItem")
class ChangeItemNode:
    field: str
    field_id: str
    from_value: str | None = strawberry.field(name="from")
    from_string: str | None
    to_value: str | None = strawberry.field(name="to")
    to_string: str | None


@strawberry.type(name="ChangeGroup", description="One edit of an issue: who changed which fields when.")
class ChangeGroupNode:
    entry: strawberry.Private[dict]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.entry["id"]))

    @strawberry.field
    def created(self) -> datetime:
        return self.entry["created"]

    @strawberry.field
    async def author(self, info: Ctx) -> UserNode | None:
        return await user_node(info, self.entry["author_id"])

    @strawberry.field
    def items(self) -> list[ChangeItemNode]:
        return [ChangeItemNode(field=i["field"], field_id=i["field_id"], from_value=i["from"],
                               from_string=i["from_string"], to_value=i["to"], to_string=i["to_string"])
                for i in self.entry["items"]]


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
