"""Issues: the Issue type, JQL search as a Relay connection, and lookups by id or key.

Everything an issue refers to (users, project, comments, changelog, field views) comes from the
request's loaders, so a page of issues costs the same few statements whatever its size."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from tessera.api.graphql.loaders import CommentWindow
from tessera.api.graphql.nodes import ChangeGroupNode, CommentNode, Ctx, PageInfo, StatusNode, UserNode, user_node
from tessera.api.graphql.rows import row_id, row_value
from tessera.db.refs import parse_int
from tessera.errors import InvalidInput
from tessera.issues.models import Issue
from tessera.issues.service import access_issue
from tessera.issues.transitions import available_transitions
from tessera.jql.search import search_issues
from tessera.workflow.models import CATEGORY_NAMES

if TYPE_CHECKING:
    from tessera.api.graphql.projects import ProjectNode

MAX_PAGE = 100
MAX_COMMENTS = 100
_CURSOR_PREFIX = "issues:"
MAX_CURSOR_OFFSET = 999_999_999  # far past any search window; keeps the offset a small int


@strawberry.type(name="Transition")
class TransitionNode:
    id: strawberry.ID
    name: str
    to_status: str
    to_category: str
    screen: list[str]


@strawberry.type(name="Issue")
class IssueNode:
    row: strawberry.Private[Issue]
    id: strawberry.ID = row_id()
    key: str = row_value("key")
    summary: str = row_value("summary")
    description: str = row_value("description")

    @strawberry.field(description="The status's name.")
    async def status(self, info: Ctx) -> str:
        return (await info.context.catalog()).status(self.row.status_id).name

    @strawberry.field(description="To Do, In Progress or Done.")
    async def status_category(self, info: Ctx) -> str:
        return CATEGORY_NAMES[(await info.context.catalog()).status(self.row.status_id).category]

    @strawberry.field
    async def status_detail(self, info: Ctx) -> StatusNode:
        return StatusNode(row=(await info.context.catalog()).status(self.row.status_id))

    @strawberry.field
    async def issue_type(self, info: Ctx) -> str:
        return (await info.context.catalog()).issue_type(self.row.issue_type_id).name

    @strawberry.field
    async def priority(self, info: Ctx) -> str:
        return (await info.context.catalog()).priority(self.row.priority_id).name

    @strawberry.field
    async def resolution(self, info: Ctx) -> str | None:
        resolution = (await info.context.catalog()).resolution(self.row.resolution_id)
        return resolution.name if resolution else None

    @strawberry.field
    async def assignee(self, info: Ctx) -> UserNode | None:
        return await user_node(info, self.row.assignee_id)

    @strawberry.field
    async def reporter(self, info: Ctx) -> UserNode | None:
        return await user_node(info, self.row.reporter_id)

    @strawberry.field
    async def creator(self, info: Ctx) -> UserNode | None:
        return await user_node(info, self.row.creator_id)

    @strawberry.field
    async def project(self, info: Ctx) -> Annotated[ProjectNode, strawberry.lazy("tessera.api.graphql.projects")]:
        from tessera.api.graphql.projects import ProjectNode

        return ProjectNode(row=await info.context.loaders.projects.load(self.row.project_id))

    async def _view(self, info: Ctx) -> dict:
        info.context.loaders.remember([self.row])
        return await info.context.loaders.views.load(self.row.id)

    @strawberry.field
    async def labels(self, info: Ctx) -> list[str]:
        return list((await self._view(info))["labels"])

    @strawberry.field
    async def components(self, info: Ctx) -> list[str]:
        return [c["name"] for c in (await self._view(info))["components"]]

    @strawberry.field
    async def fix_versions(self, info: Ctx) -> list[str]:
        return [v["name"] for v in (await self._view(info))["fix_versions"]]

    @strawberry.field(description="Custom field values by field key, as in GET /v2/issues/{id}.")
    async def custom_fields(self, info: Ctx) -> JSON:
        return (await self._view(info))["custom_fields"]

    @strawberry.field(description="The Story Points custom field, when the organization has one.")
    async def story_points(self, info: Ctx) -> float | None:
        value = (await self._view(info))["custom_fields"].get("story_points")
        return float(value) if isinstance(value, int | float) else None

    @strawberry.field
    async def parent_key(self, info: Ctx) -> str | None:
        parent = (await self._view(info))["parent"]
        return parent["key"] if parent else None

    @strawberry.field
    def due_date(self) -> date | None:
        return self.row.due_date

    @strawberry.field
    def created(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def updated(self) -> datetime:
        return self.row.updated_at

    @strawberry.field
    def resolved(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field(description="Send it back with updateIssue to detect concurrent changes.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field
    def url(self, info: Ctx) -> str:
        return f"{info.context.base_url}/browse/{self.row.key}"

    @strawberry.field(description="Comments you may read, oldest first: the first or last N (at most 100). "
                                  "Deleted ones (tombstones kept for their replies) only on request.")
    async def comments(self, info: Ctx, first: int | None = None, last: int | None = None,
                       include_deleted: bool = False) -> list[CommentNode]:
        if first is not None and last is not None:
            raise InvalidInput("Give first or last, not both.", field="first")
        count = last if last is not None else first if first is not None else MAX_COMMENTS
        if not 0 <= count <= MAX_COMMENTS:
            raise InvalidInput(f"first/last is between 0 and {MAX_COMMENTS}.", field="last" if last else "first")
        if count == 0:
            return []
        found = await info.context.loaders.comments.load(
            CommentWindow(self.row.id, newest=last is not None, count=count, include_deleted=include_deleted))
        return [CommentNode(row=comment) for comment in found]

    @strawberry.field(description="The change history, oldest first.")
    async def changelog(self, info: Ctx) -> list[ChangeGroupNode]:
        return [ChangeGroupNode(entry=entry) for entry in await info.context.loaders.changelogs.load(self.row.id)]

    @strawberry.field(description="Workflow transitions you may run now.")
    async def transitions(self, info: Ctx) -> list[TransitionNode]:
        project = await info.context.loaders.projects.load(self.row.project_id)
        async with info.context.reading() as (session, actor):
            found = await available_transitions(session, actor=actor, issue=self.row, project=project)
        return [TransitionNode(id=strawberry.ID(t["id"]), name=t["name"], to_status=t["to"]["name"],
                               to_category=t["to"]["category"], screen=t["screen"]) for t in found]


@strawberry.type
class IssueEdge:
    cursor: str
    node: IssueNode


@strawberry.type
class IssueConnection:
    edges: list[IssueEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[IssueNode]:
        return [edge.node for edge in self.edges]


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset after which the next page starts (-1: from the beginning)."""
    if cursor is None:
        return -1
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    offset = parse_int(text.removeprefix(_CURSOR_PREFIX), maximum=MAX_CURSOR_OFFSET)
    if not text.startswith(_CURSOR_PREFIX) or offset is None:
        raise InvalidInput("'after' must be a cursor this API returned (pageInfo.endCursor).", field="after")
    return offset


def validate_page_size(first: int, *, field: str = "first") -> int:
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput(f"{field} is between 0 and {MAX_PAGE}.", field=field)
    return first


def issue_nodes(info: Ctx, rows: list[Issue]) -> list[IssueNode]:
    info.context.loaders.remember(rows)
    return [IssueNode(row=row) for row in rows]


async def search_connection(info: Ctx, jql: str, first: int, after: str | None) -> IssueConnection:
    """One page of the JQL search, with the caller's permissions (as POST /v2/search)."""
    validate_page_size(first)
    start = decode_cursor(after) + 1
    async with info.context.reading(search=True) as (session, actor):
        page = await search_issues(session, actor=actor, jql=jql, start_at=start, max_results=first)
    edges = [IssueEdge(cursor=encode_cursor(start + i), node=node)
             for i, node in enumerate(issue_nodes(info, page.issues))]
    return IssueConnection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=start + len(edges) < page.total, has_previous_page=start > 0,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))


async def find_issue(info: Ctx, ref: str) -> IssueNode:
    async with info.context.reading() as (session, actor):
        issue, project = await access_issue(session, actor, ref)
    info.context.loaders.projects.prime(project.id, project)
    return issue_nodes(info, [issue])[0]
