"""Webhook bodies in Jira's shape (reference §3), rendered when the event is fanned out.

`issue` is exactly what `GET /rest/api/2/issue/{id}` answers the webhook's owner (the one
renderer in tessera.jira_format); `changelog` items come from the change history written with
the change (ids and display values), else from the event's own `field_changes`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.events.models import OutboxEvent
from tessera.events.types import (
    AttachmentEvent,
    BoardEvent,
    CommentDeleted,
    CommentEvent,
    CommentUpdated,
    DomainEvent,
    IssueCreated,
    IssueDeleted,
    IssueEvent,
    IssueLinkEvent,
    IssueUpdated,
    ProjectEvent,
    SprintEvent,
    StatusChanged,
    WorkflowEventFired,
    WorklogAdded,
    WorklogDeleted,
    WorklogEvent,
)
from tessera.issues.models import ChangeGroup, ChangeItem, Issue
from tessera.issues.references import catalog_for
from tessera.issues.worklogs.models import Worklog
from tessera.jira_format.fields import select_fields
from tessera.jira_format.issue_json import render_jira_issues, worklog_json
from tessera.jira_format.shapes import Links, jira_time, project_json, user_json
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.service import users_by_id

# The finer Jira event type of jira:issue_updated deliveries caused by an issue's parts (§2.2).
_PART_EVENT_TYPES = {"comment_created": "issue_commented", "comment_updated": "issue_comment_edited",
                     "comment_deleted": "issue_comment_deleted", "worklog_created": "issue_work_logged",
                     "worklog_updated": "issue_worklog_updated", "worklog_deleted": "issue_worklog_deleted"}


@dataclass
class Rendered:
    body: dict[str, Any]
    # URL variables (§4.1): `${issue.key}` and the like.
    variables: dict[str, str] = field(default_factory=dict)


def webhook_events_of(event_class: type[DomainEvent]) -> tuple[str, ...]:
    """The webhookEvent names that deliver this event class: its own Jira name and, for a
    comment or worklog, also jira:issue_updated (Jira sends both to issue subscribers)."""
    own = event_class.jira_webhook_event
    if own is None:
        return ()
    if own in _PART_EVENT_TYPES:
        return (own, "jira:issue_updated")
    return (own,)


# Jira's own issue event types. A workflow's `fire_event` naming one of these says what its
# transition is (Jira fires one event per transition); the transition's StatusChanged already
# reports it under that name, so the fired event sends no second delivery. An event of any other
# name (a custom event) is sent as jira:issue_updated under its own name.
JIRA_ISSUE_EVENT_TYPES = frozenset({
    "issue_created", "issue_updated", "issue_assigned", "issue_resolved", "issue_closed", "issue_commented",
    "issue_comment_edited", "issue_comment_deleted", "issue_reopened", "issue_deleted", "issue_moved",
    "issue_work_logged", "issue_work_started", "issue_work_stopped", "issue_worklog_updated",
    "issue_worklog_deleted", "issue_generic"})


def sends_webhook(typed: DomainEvent) -> bool:
    """False for a workflow-fired event that names one of Jira's own event types (see above)."""
    return not (isinstance(typed, WorkflowEventFired) and typed.name in JIRA_ISSUE_EVENT_TYPES)


def issue_event_type_name(typed: DomainEvent, own_name: str | None) -> str:
    if isinstance(typed, WorkflowEventFired):
        return typed.name
    if isinstance(typed, IssueCreated):
        return "issue_created"
    if isinstance(typed, IssueDeleted):
        return "issue_deleted"
    if own_name in _PART_EVENT_TYPES:
        return _PART_EVENT_TYPES[own_name]
    if isinstance(typed, IssueUpdated) and set(typed.field_changes) == {"assignee"}:
        return "issue_assigned"
    if isinstance(typed, StatusChanged):  # Jira's generic event, unless it resolved, closed or reopened
        kind = StatusChanged.kind_of(typed.payload())
        return "issue_generic" if kind == StatusChanged.name else kind
    if isinstance(typed, IssueUpdated):
        return "issue_updated"
    return "issue_generic"


def epoch_ms(typed: DomainEvent, event: OutboxEvent) -> int:
    stamp = getattr(typed, "timestamp", None)
    moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else event.created_at
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@dataclass
class RenderCache:
    """What one owner's renderings within a batch of events share: the issues in Jira's shape
    (rendered together, as the search API renders a page) and the users. Missing entries are
    read one at a time, as a batch of one does."""

    issues: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    users: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    # By issue, the change groups around the batch's events (change_groups); None: read per event.
    changes: dict[int, list[_ChangeGroup]] | None = None

    async def render_issues(self, session: AsyncSession, actor: Actor, links: Links, issues: list[Issue]) -> None:
        fresh = [issue for issue in issues if issue.id not in self.issues]
        if not fresh:
            return
        selection = select_fields(await catalog_for(session, actor), [])
        views = await render_jira_issues(session, actor=actor, issues=fresh, links=links, selection=selection)
        self.issues.update({int(view["id"]): view for view in views})

    async def load_users(self, session: AsyncSession, links: Links, organization_id: int,
                         user_ids: set[int]) -> None:
        fresh = {user_id for user_id in user_ids if user_id not in self.users}
        if fresh:
            found = await users_by_id(session, organization_id, fresh)
            self.users.update({user_id: user_json(links, found.get(user_id)) for user_id in fresh})


async def _user(session: AsyncSession, links: Links, organization_id: int, user_id: int | None,
                cache: RenderCache) -> dict | None:
    if user_id is None:
        return None
    await cache.load_users(session, links, organization_id, {user_id})
    return cache.users[user_id]


async def _issue_json(session: AsyncSession, actor: Actor, links: Links, issue_id: int,
                      cache: RenderCache) -> dict[str, Any] | None:
    if issue_id not in cache.issues:
        issue = await session.scalar(select(Issue).where(Issue.organization_id == actor.organization_id,
                                                         Issue.id == issue_id))
        if issue is None:
            return None
        await cache.render_issues(session, actor, links, [issue])
    return cache.issues.get(issue_id)


@dataclass(frozen=True, slots=True)
class _ChangeGroup:
    id: int
    created_at: datetime
    items: list[ChangeItem]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def change_groups(session: AsyncSession, organization_id: int, events: Sequence[DomainEvent]
                        ) -> dict[int, list[_ChangeGroup]]:
    """By issue, the change groups written around these events' moments (newest first, with
    their items), in two queries for any number of events."""
    stamped = [(typed.issue_id, _aware(datetime.fromisoformat(typed.timestamp))) for typed in events
               if isinstance(typed, IssueUpdated | StatusChanged) and typed.field_changes]
    if not stamped:
        return {}
    groups = (await session.scalars(
        select(ChangeGroup).where(ChangeGroup.organization_id == organization_id,
                                  ChangeGroup.issue_id.in_(sorted({issue_id for issue_id, _ in stamped})),
                                  ChangeGroup.created_at >= min(m for _, m in stamped) - _NEAR,
                                  ChangeGroup.created_at <= max(m for _, m in stamped) + _NEAR)
        .order_by(ChangeGroup.id.desc()))).all()
    items: dict[int, list[ChangeItem]] = {group.id: [] for group in groups}
    if groups:
        for item in (await session.scalars(select(ChangeItem).where(
                ChangeItem.organization_id == organization_id, ChangeItem.group_id.in_(list(items)))
                .order_by(ChangeItem.id))).all():
            items[item.group_id].append(item)
    found: dict[int, list[_ChangeGroup]] = {}
    for group in groups:
        found.setdefault(group.issue_id, []).append(_ChangeGroup(group.id, _aware(group.created_at), items[group.id]))
    return found


def _same_values(group: _ChangeGroup, changes: dict[str, dict[str, Any]]) -> bool:
    return all((item.from_string, item.to_string) == (changes[item.field_id].get("from"), changes[item.field_id].get("to"))
               for item in group.items)


# How far apart an event's timestamp and its change group's may be.
_NEAR = timedelta(seconds=1)


async def _changelog(session: AsyncSession, typed: IssueEvent, organization_id: int,
                     cache: RenderCache) -> dict[str, Any] | None:
    changes: dict[str, dict[str, Any]] = getattr(typed, "field_changes", None) or {}
    if not changes:
        return None
    stamp = _aware(datetime.fromisoformat(typed.timestamp))  # type: ignore[attr-defined]
    known = cache.changes if cache.changes is not None else await change_groups(session, organization_id, [typed])
    # The change group written with this change: same issue, same moment, same fields; of several
    # (transitions in quick succession), the one whose values are the event's, else the nearest.
    alike = sorted((group for group in known.get(typed.issue_id, [])
                    if abs(group.created_at - stamp) <= _NEAR and {item.field_id for item in group.items} == set(changes)),
                   key=lambda group: (not _same_values(group, changes), abs(group.created_at - stamp)))
    if alike:
        return {"id": str(alike[0].id), "items": [
            {"field": item.field, "fieldtype": item.field_type, "fieldId": item.field_id,
             "from": item.from_value, "fromString": item.from_string, "to": item.to_value,
             "toString": item.to_string} for item in alike[0].items]}
    return {"id": None, "items": [
        {"field": field_id, "fieldtype": "custom" if field_id.startswith("customfield_") else "jira",
         "fieldId": field_id, "from": None, "fromString": change.get("from"), "to": None,
         "toString": change.get("to")} for field_id, change in changes.items()]}


def _reduced_issue(issue: dict[str, Any]) -> dict[str, Any]:
    """What Jira Cloud puts beside a comment: id, self, key and a few fields."""
    fields = issue.get("fields", {})
    return {"id": issue["id"], "self": issue["self"], "key": issue["key"],
            "fields": {name: fields.get(name) for name in ("summary", "issuetype", "project", "assignee",
                                                           "priority", "status") if name in fields}}


async def render_issue_event(session: AsyncSession, *, actor: Actor, event: OutboxEvent, typed: IssueEvent,
                             webhook_event: str, links: Links, cache: RenderCache | None = None) -> Rendered | None:
    """None when there is nothing the owner may see (the issue is gone, the comment is restricted).
    `cache`: the owner's, shared by the events of a batch."""
    cache = cache if cache is not None else RenderCache()
    org = actor.organization_id
    body: dict[str, Any] = {"timestamp": epoch_ms(typed, event), "webhookEvent": webhook_event}
    variables = {"issue.id": str(typed.issue_id), "issue.key": typed.issue_key or "",
                 "project.id": str(typed.project_id)}
    if isinstance(typed, IssueDeleted):
        project = await session.scalar(select(Project).where(Project.organization_id == org,
                                                             Project.id == typed.project_id))
        issue: dict[str, Any] | None = {
            "id": str(typed.issue_id), "self": links.issue(typed.issue_id), "key": typed.issue_key,
            "fields": {"project": project_json(links, project.id, project.key, project.name) if project else None}}
    else:
        issue = await _issue_json(session, actor, links, typed.issue_id, cache)
        if issue is None:
            return None
    project_field = (issue.get("fields") or {}).get("project") or {}
    if project_field:
        variables["project.key"] = project_field.get("key", "")
    part = await _part(session, actor, links, typed, issue, cache)
    if part is _HIDDEN:
        return None
    if webhook_event.startswith("jira:issue_"):
        body["issue_event_type_name"] = issue_event_type_name(typed, type(typed).jira_webhook_event)
        body["user"] = await _user(session, links, org, getattr(typed, "user_id", None), cache)
        body["issue"] = issue
        if isinstance(typed, IssueUpdated | StatusChanged):
            changelog = await _changelog(session, typed, org, cache)
            if changelog is not None:
                body["changelog"] = changelog
    else:
        body["issue"] = _reduced_issue(issue) if "fields" in issue and "summary" in issue["fields"] else issue
    if part is not None:
        key, value = part
        body[key] = value
        if isinstance(value, dict) and value.get("id") is not None:
            variables[f"{key}.id"] = str(value["id"])
    return Rendered(body, variables)


_HIDDEN: Any = object()


async def _part(session: AsyncSession, actor: Actor, links: Links, typed: IssueEvent, issue: dict[str, Any],
                cache: RenderCache) -> tuple[str, Any] | None:
    """The comment, worklog, attachment or link the event is about, under Jira's key."""
    org = actor.organization_id
    if isinstance(typed, CommentEvent):
        if isinstance(typed, CommentDeleted):
            if typed.visibility is not None and not actor.is_org_admin:
                return _HIDDEN  # whether the owner could read it cannot be told any more
            return "comment", {"self": f"{links.api}/issue/{typed.issue_id}/comment/{typed.comment_id}",
                               "id": str(typed.comment_id)}
        visible = ((issue.get("fields") or {}).get("comment") or {}).get("comments", [])
        found = next((c for c in visible if c.get("id") == str(typed.comment_id)), None)
        if found is None:
            return _HIDDEN  # restricted to a role the owner lacks, or deleted since
        if isinstance(typed, CommentUpdated):
            found = {**found, "updateAuthor": await _user(session, links, org, typed.user_id, cache)}
        return "comment", found
    if isinstance(typed, WorklogEvent):
        if isinstance(typed, WorklogDeleted):
            return "worklog", {"id": str(typed.worklog_id), "issueId": str(typed.issue_id),
                               "self": f"{links.api}/issue/{typed.issue_id}/worklog/{typed.worklog_id}"}
        worklog = await session.scalar(select(Worklog).where(Worklog.organization_id == org,
                                                             Worklog.id == typed.worklog_id))
        if worklog is None:
            return _HIDDEN if not isinstance(typed, WorklogAdded) else None
        users = await users_by_id(session, org, {u for u in (worklog.author_id, worklog.update_author_id) if u})
        return "worklog", worklog_json(links, worklog, users)
    if isinstance(typed, AttachmentEvent):
        return "attachment", {"self": f"{links.api}/attachment/{typed.attachment_id}", "id": str(typed.attachment_id),
                              "filename": typed.filename, "size": typed.size, "mimeType": typed.content_type,
                              "created": jira_time(typed.timestamp),
                              "author": await _user(session, links, org, typed.user_id, cache),
                              "content": f"{links.api}/attachment/content/{typed.attachment_id}"}
    if isinstance(typed, IssueLinkEvent):
        change = typed.field_changes.get("issuelinks", {})
        return "issueLink", {"sourceIssueId": typed.issue_id, "description": change.get("to") or change.get("from")}
    return None


async def render_other_event(session: AsyncSession, *, actor: Actor, event: OutboxEvent, typed: DomainEvent,
                             webhook_event: str, links: Links, project: Project | None) -> Rendered | None:
    """Sprint, board and project events: the entity under its family's key (§3.1)."""
    body: dict[str, Any] = {"timestamp": epoch_ms(typed, event), "webhookEvent": webhook_event}
    variables: dict[str, str] = {}
    if project is not None:
        variables.update({"project.id": str(project.id), "project.key": project.key})
    if isinstance(typed, SprintEvent):
        payload = event.payload
        body["sprint"] = {"id": typed.sprint_id, "self": f"{links.agile}/sprint/{typed.sprint_id}",
                          "state": str(typed.state).lower(), "name": typed.sprint_name,
                          "startDate": jira_time(payload.get("start_at")), "endDate": jira_time(payload.get("end_at")),
                          "originBoardId": payload.get("board_id"), "goal": payload.get("goal")}
        variables["sprint.id"] = str(typed.sprint_id)
    elif isinstance(typed, BoardEvent):
        body["board"] = {"id": typed.board_id, "self": f"{links.agile}/board/{typed.board_id}",
                         "name": typed.board_name}
        variables["board.id"] = str(typed.board_id)
    elif isinstance(typed, ProjectEvent) and project is not None:
        body["project"] = project_json(links, project.id, project.key, project.name)
    else:
        return None
    return Rendered(body, variables)
