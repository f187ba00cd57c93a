"""Links from an issue to resources elsewhere (a pull request, a wiki page), as Jira's remote
issue links: `object` {url, title, summary, icon, status}, an optional `globalId` that names the
link on its issue (posting one that exists updates it), `relationship` and `application`.

Reading needs browsing the issue; adding, changing and removing need LINK_ISSUES."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput, NotFound
from tessera.events.outbox import emit
from tessera.events.types import RemoteLinkCreated, RemoteLinkDeleted, RemoteLinkEvent, RemoteLinkUpdated
from tessera.issues.models import Issue
from tessera.issues.remote_links.models import RemoteLink
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

NOT_FOUND = "Remote link does not exist or you do not have permission to see it."
MAX_TEXT = 2000
MAX_PER_ISSUE = 1000


def _text(value: object, field: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > MAX_TEXT:
        raise InvalidInput(f"'{field}' is text of at most {MAX_TEXT} characters" + (" and is required." if required
                                                                                    else "."), field=field)
    return value


def _small_object(value: object, field: str) -> dict[str, Any]:
    """Icons, statuses and applications: a flat-ish JSON object, kept as given (bounded)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(str(value)) > 4 * MAX_TEXT:
        raise InvalidInput(f"'{field}' is a JSON object.", field=field)
    return value


def validate_link_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of a client's link: object.url (http, https or mailto) and object.title
    are required, as in Jira."""
    raw = spec.get("object")
    if not isinstance(raw, dict):
        raise InvalidInput("'object' with 'url' and 'title' is required.", field="object")
    url = _text(raw.get("url"), "object.url", required=True).strip()
    if urlsplit(url).scheme.lower() not in ("http", "https", "mailto"):
        raise InvalidInput("'object.url' must be an http, https or mailto URL.", field="object.url")
    link_object: dict[str, Any] = {"url": url, "title": _text(raw.get("title"), "object.title", required=True)}
    if raw.get("summary") is not None:
        link_object["summary"] = _text(raw.get("summary"), "object.summary")
    for key in ("icon", "status"):
        if raw.get(key) is not None:
            link_object[key] = _small_object(raw[key], f"object.{key}")
    global_id = spec.get("globalId")
    return {"global_id": _text(global_id, "globalId")[:255] if global_id is not None else None,
            "relationship": _text(spec.get("relationship"), "relationship")[:255],
            "application": _small_object(spec.get("application"), "application"), "link_object": link_object}


async def list_remote_links(session: AsyncSession, *, issue: Issue, global_id: str | None = None
                            ) -> Sequence[RemoteLink]:
    query = select(RemoteLink).where(RemoteLink.organization_id == issue.organization_id,
                                     RemoteLink.issue_id == issue.id)
    if global_id is not None:
        query = query.where(RemoteLink.global_id == global_id)
    return (await session.scalars(query.order_by(RemoteLink.id).limit(MAX_PER_ISSUE))).all()


async def access_remote_link(session: AsyncSession, *, issue: Issue, ref: object) -> RemoteLink:
    link_id = parse_id(ref)
    found = None if link_id is None else await session.scalar(select(RemoteLink).where(
        RemoteLink.organization_id == issue.organization_id, RemoteLink.issue_id == issue.id,
        RemoteLink.id == link_id))
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def _event(session: AsyncSession, event_class: type[RemoteLinkEvent], actor: Actor, issue: Issue,
                 link: RemoteLink) -> None:
    await emit(session, event_class(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id,
                                    remote_link_id=link.id, url=link.link_object.get("url"), user_id=actor.user_id,
                                    timestamp=datetime.now(UTC).isoformat()),
               organization_id=issue.organization_id, aggregate_id=issue.id, actor_id=actor.user_id)


async def check_put_remote_link(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                spec: Mapping[str, Any], link: RemoteLink | None = None) -> tuple[RemoteLink, bool]:
    """Create a link, or update `link` (or the issue's link with the same globalId). Returns
    the link and whether it is new."""
    await authorize(session, actor, Permission.LINK_ISSUES, project)
    values = validate_link_spec(spec)
    if link is None and values["global_id"]:
        link = next(iter(await list_remote_links(session, issue=issue, global_id=values["global_id"])), None)
    now = datetime.now(UTC)
    created = link is None
    if link is None:
        link = RemoteLink(organization_id=issue.organization_id, issue_id=issue.id, created_at=now, **values)
        session.add(link)
    else:
        for name, value in values.items():
            if name != "global_id" or value:
                setattr(link, name, value)
    link.updated_at = now
    await session.flush()
    await _event(session, RemoteLinkCreated if created else RemoteLinkUpdated, actor, issue, link)
    return link, created


async def check_delete_remote_link(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                   link: RemoteLink) -> None:
    await authorize(session, actor, Permission.LINK_ISSUES, project)
    await session.execute(delete(RemoteLink).where(RemoteLink.organization_id == link.organization_id,
                                                   RemoteLink.id == link.id))
    await _event(session, RemoteLinkDeleted, actor, issue, link)
