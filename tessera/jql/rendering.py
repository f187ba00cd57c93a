"""A search page as the API returns it: issue views (render_issues), cut down to the requested
fields, with the `comments` and `changelog` expansions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.audience import comments_visible_to
from tessera.issues.comments.models import Comment
from tessera.issues.models import Issue
from tessera.issues.references import catalog_for
from tessera.issues.views import VIEW_KEYS, UserBrief, iso, render_issues, row_columns
from tessera.jql.search import SearchPage
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User

ALWAYS = ("id", "key", "self")
ALL_FIELDS = frozenset({"*all", "*navigable", "all"})
# Jira's field names for the keys our issue view uses.
FIELD_NAMES = {"issuetype": "issue_type", "type": "issue_type", "fixversions": "fix_versions",
               "fixversion": "fix_versions", "versions": "affected_versions", "affectedversion": "affected_versions",
               "duedate": "due_date", "due": "due_date", "resolutiondate": "resolved", "component": "components",
               "issuelinks": "links", "comment": "comments", "changelog": "changelog"}
MAX_COMMENTS_PER_ISSUE = 100


def _wanted(fields: Sequence[str]) -> set[str]:
    return {FIELD_NAMES.get(name.strip().lower(), name.strip()) for name in fields}


def _view_keys(fields: Sequence[str] | None) -> set[str] | None:
    """The view keys `fields` keep (None: all of them); a name that is no key of the view may
    be a custom field's, kept from `custom_fields`."""
    wanted = _wanted(fields) if fields else set()
    if not fields or wanted & ALL_FIELDS:
        return None
    keys = wanted & set(VIEW_KEYS)
    if wanted - keys - {"self", "comments", "changelog"}:
        keys.add("custom_fields")
    return keys


def page_columns(fields: Sequence[str] | None) -> list:
    """The issue columns a page of these fields is rendered from (search_issues' `columns`)."""
    return row_columns(_view_keys(fields))


def _select_fields(view: dict, wanted: set[str]) -> dict:
    if wanted & ALL_FIELDS:
        return view
    kept = {name: view[name] for name in ALWAYS if name in view}
    custom = view.get("custom_fields", {})
    for name in wanted:
        if name in view:
            kept[name] = view[name]
        elif name in custom:
            kept.setdefault("custom_fields", {})[name] = custom[name]
    for name in ("comments", "changelog"):
        if name in view:
            kept[name] = view[name]
    return kept


async def _comments(session: AsyncSession, actor: Actor, issue_ids: list[int]) -> dict[int, list[dict]]:
    """The Markdown source of the comments the actor may read (restricted ones only for their
    role; deleted ones left out); GET /v2/issues/{id}/comments also renders them."""
    rows = (await session.execute(
        select(Comment.id, Comment.issue_id, Comment.parent_id, Comment.body, Comment.visibility_role,
               Comment.created_at, Comment.updated_at, Comment.author_id, User.display_name)
        .join(Issue, Issue.id == Comment.issue_id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.organization_id == actor.organization_id, Comment.issue_id.in_(issue_ids),
               Comment.deleted_at.is_(None),
               comments_visible_to(user_id=actor.user_id, sees_all=actor.is_org_admin, project_id=Issue.project_id))
        .order_by(Comment.issue_id, Comment.created_at, Comment.id))).all()
    comments: dict[int, list[dict]] = {issue_id: [] for issue_id in issue_ids}
    for row in rows:
        bucket = comments[row.issue_id]
        if len(bucket) < MAX_COMMENTS_PER_ISSUE:
            bucket.append({"id": row.id, "parent_id": row.parent_id, "body": row.body, "created": iso(row.created_at),
                           "updated": iso(row.updated_at),
                           "author": {"id": row.author_id, "display_name": row.display_name}
                           if row.author_id else None,
                           "visibility": {"type": "role", "value": row.visibility_role}
                           if row.visibility_role else None})
    return comments


async def render_search_page(session: AsyncSession, *, actor: Actor, page: SearchPage, base_url: str,
                             fields: Sequence[str] | None = None, expand: frozenset[str] = frozenset()) -> dict:
    catalog = await catalog_for(session, actor)
    views = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=page.issues,
                                catalog=catalog, expand=expand & {"changelog"},
                                known_users=[UserBrief(actor.user_id, actor.display_name, actor.email)],
                                only=_view_keys(fields))
    comments = await _comments(session, actor, [v["id"] for v in views]) \
        if "comments" in expand and views else {}
    issues = []
    wanted = _wanted(fields) if fields else None
    if wanted is not None and wanted <= set(VIEW_KEYS) | set(ALWAYS):
        wanted = None  # the views were built with exactly these keys: nothing to cut
    for view in views:
        view["self"] = f"{base_url}/v2/issues/{view['id']}"
        if "comments" in expand:
            view["comments"] = comments.get(view["id"], [])
        issues.append(_select_fields(view, wanted) if wanted is not None else view)
    return {"start_at": page.start_at, "max_results": page.max_results, "total": page.total, "issues": issues}
