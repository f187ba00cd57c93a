"""Comments as clients read them: the Markdown source, its safe HTML with mentions resolved, the
thread (parent_id), visibility and edit state. Built for a page of comments with two queries
(authors, mentioned users) whatever its size."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.comments.markup import ParsedBody, parse_body, render_parsed
from tessera.issues.comments.mentions import resolve_mentions, visibility_payload
from tessera.issues.comments.models import Comment
from tessera.issues.views import iso
from tessera.tenancy.models import User
from tessera.tenancy.service import users_by_id

TOMBSTONE_HTML = "<p><em>This comment was deleted.</em></p>"


def author_view(user: User | None) -> dict | None:
    return {"id": user.id, "display_name": user.display_name} if user else None


async def render_comments(session: AsyncSession, organization_id: int, comments: Sequence[Comment],
                          *, base_url: str = "") -> list[dict]:
    parsed: dict[int, ParsedBody] = {c.id: parse_body(c.body) for c in comments if c.deleted_at is None}
    mentions = await resolve_mentions(session, organization_id,
                                      {ref for body in parsed.values() for ref in body.mentions})
    authors = await users_by_id(session, organization_id, {c.author_id for c in comments if c.author_id})
    views = []
    for comment in comments:
        deleted = comment.deleted_at is not None
        body = parsed.get(comment.id)
        mentioned = {mentions[ref][0]: mentions[ref][1] for ref in body.mentions if ref in mentions} if body else {}
        view = {
            "id": comment.id, "issue_id": comment.issue_id, "parent_id": comment.parent_id,
            "body": comment.body, "rendered_body": TOMBSTONE_HTML if deleted else render_parsed(body, mentions),
            "author": None if deleted else author_view(authors.get(comment.author_id or 0)),
            "created": iso(comment.created_at), "updated": iso(comment.updated_at), "version": comment.version,
            "edited": comment.updated_at != comment.created_at and not deleted, "deleted": deleted,
            "visibility": visibility_payload(comment.visibility_role),
            "mentions": [{"id": user_id, "display_name": name} for user_id, name in mentioned.items()],
        }
        if base_url:
            view["self"] = f"{base_url}/v2/issues/{comment.issue_id}/comments/{comment.id}"
        views.append(view)
    return views


async def render_history(session: AsyncSession, organization_id: int, comment: Comment,
                         revisions: list[dict]) -> dict:
    parsed = [parse_body(r["body"]) for r in revisions]
    mentions = await resolve_mentions(session, organization_id, {ref for p in parsed for ref in p.mentions})
    editors = await users_by_id(session, organization_id, {r["edited_by"] for r in revisions if r["edited_by"]})
    return {"comment_id": comment.id, "issue_id": comment.issue_id, "total": len(revisions), "revisions": [
        {"revision": r["revision"], "body": r["body"], "rendered_body": render_parsed(p, mentions),
         "edited_by": author_view(editors.get(r["edited_by"] or 0)), "edited_at": iso(r["edited_at"])}
        for r, p in zip(revisions, parsed, strict=True)]}


def thread_order(views: list[dict], *, roots_newest_first: bool = False) -> list[tuple[dict, int]]:
    """Depth-first thread order with each comment's depth, replies oldest first under their
    parent; a reply whose parent the reader cannot see (restricted, or not on this page) starts a
    thread of its own. Iterative, so any depth is safe."""
    by_parent: dict[int | None, list[dict]] = {}
    ids = {view["id"] for view in views}
    for view in views:
        parent = view["parent_id"] if view["parent_id"] in ids else None
        by_parent.setdefault(parent, []).append(view)
    ordered: list[tuple[dict, int]] = []
    roots = by_parent.get(None, [])
    stack = [(view, 0) for view in (roots if roots_newest_first else reversed(roots))]
    while stack:
        view, depth = stack.pop()
        ordered.append((view, depth))
        stack.extend((child, depth + 1) for child in reversed(by_parent.get(view["id"], [])))
    return ordered
