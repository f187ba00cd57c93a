"""Issues in Jira's JSON, translated from the views tessera.issues.views renders (a fixed
number of queries for any number of issues) plus, for the fields asked for, one batched read
each of comments, watchers, votes, attachments, worklogs and ranks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.ranking import ranks_of
from tessera.issues.comments.markup import render_body
from tessera.issues.comments.models import Comment
from tessera.issues.durations import format_duration
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.summaries import attachments_by_issue, visible_comments_by_issue, vote_counts, watch_counts
from tessera.issues.views import UserBrief, render_issues, row_columns
from tessera.issues.worklogs.service import worklogs_by_issue
from tessera.jira_format.fields import (
    EPIC_LINK_FIELD,
    EPIC_NAME_FIELD,
    EPIC_STATUS_FIELD,
    RANK_FIELD,
    FieldSelection,
    JiraField,
    all_fields,
)
from tessera.jira_format.shapes import (
    Links,
    component_json,
    issuetype_json,
    jira_date,
    jira_time,
    priority_json,
    project_json,
    resolution_json,
    rich_text,
    status_json,
    user_json,
    version_json,
)
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.service import users_by_id
from tessera.workflow.models import CATEGORY_NAMES

EXPANDABLE = "renderedFields,names,schema,transitions,operations,editmeta,changelog,versionedRepresentations"


def comment_json(links: Links, comment: Comment, users: dict, *, rendered: bool = False) -> dict[str, Any]:
    author = user_json(links, users.get(comment.author_id)) if comment.author_id else None
    view: dict[str, Any] = {
        "self": f"{links.api}/issue/{comment.issue_id}/comment/{comment.id}", "id": str(comment.id),
        "author": author, "body": rich_text(links, comment.body), "updateAuthor": author,
        "created": jira_time(comment.created_at), "updated": jira_time(comment.updated_at)}
    if comment.visibility_role:
        view["visibility"] = {"type": "role", "value": comment.visibility_role.title()}
    if rendered:
        view["renderedBody"] = render_body(comment.body)
    return view


def attachment_json(links: Links, attachment: Any, users: dict) -> dict[str, Any]:
    return {"self": f"{links.api}/attachment/{attachment.id}", "id": str(attachment.id),
            "filename": attachment.filename, "author": user_json(links, users.get(attachment.author_id)),
            "created": jira_time(attachment.created_at), "size": attachment.size, "mimeType": attachment.content_type,
            "content": f"{links.api}/attachment/content/{attachment.id}"}


def worklog_json(links: Links, worklog: Any, users: dict) -> dict[str, Any]:
    return {"self": f"{links.api}/issue/{worklog.issue_id}/worklog/{worklog.id}", "id": str(worklog.id),
            "issueId": str(worklog.issue_id), "author": user_json(links, users.get(worklog.author_id)),
            "updateAuthor": user_json(links, users.get(worklog.update_author_id)),
            "comment": rich_text(links, worklog.comment),
            "created": jira_time(worklog.created_at), "updated": jira_time(worklog.updated_at),
            "started": jira_time(worklog.started_at), "timeSpent": format_duration(worklog.time_spent_seconds),
            "timeSpentSeconds": worklog.time_spent_seconds}


def timetracking_json(view: dict) -> dict[str, Any]:
    """Jira's `timetracking` field: each part only when set, as a duration and in seconds."""
    shown: dict[str, Any] = {}
    for name, ours in (("originalEstimate", "original_estimate"), ("remainingEstimate", "remaining_estimate"),
                       ("timeSpent", "time_spent")):
        if view[ours] is not None:
            shown[name] = format_duration(view[ours])
    for name, ours in (("originalEstimateSeconds", "original_estimate"),
                       ("remainingEstimateSeconds", "remaining_estimate"), ("timeSpentSeconds", "time_spent")):
        if view[ours] is not None:
            shown[name] = view[ours]
    return shown


def _brief(links: Links, catalog: OrgCatalog, brief: dict) -> dict[str, Any]:
    """A related issue (parent, sub-task, link end) as Jira nests it."""
    issue_type = catalog.issue_type(brief["issue_type"]["id"])
    status = brief["status"]
    return {"id": str(brief["id"]), "key": brief["key"], "self": links.issue(brief["id"]),
            "fields": {"summary": brief["summary"],
                       "status": status_json(links, status["id"], status["name"], status["category"]),
                       "issuetype": issuetype_json(links, issue_type.id, issue_type.name, issue_type.subtask)}}


def _custom_value(links: Links, definition: Any, value: Any) -> Any:
    kind = definition.field_type
    if value is None or value == []:
        return None
    if kind == "select":
        return {"self": f"{links.api}/customFieldOption/{value['id']}", "value": value["value"],
                "id": str(value["id"])}
    if kind == "multi_select":
        return [{"self": f"{links.api}/customFieldOption/{v['id']}", "value": v["value"], "id": str(v["id"])}
                for v in value]
    if kind == "user":
        return user_json(links, value)
    if kind == "text":  # multi-line: rich text
        return rich_text(links, value)
    if kind == "sprint":
        return [{"id": value["id"], "name": value["name"], "state": str(value["state"]).upper(),
                 "self": f"{links.agile}/sprint/{value['id']}"}]
    return value


def _epic_link(catalog: OrgCatalog, parent: dict | None) -> str | None:
    """The parent's key when the parent is an epic (Jira Software's Epic Link holds a key)."""
    if parent is None or catalog.issue_type(parent["issue_type"]["id"]).hierarchy_level <= 0:
        return None
    return str(parent["key"])


def _is_epic(catalog: OrgCatalog, view: dict) -> bool:
    return catalog.issue_type(view["issue_type"]["id"]).hierarchy_level > 0


def epic_status_json(category: str) -> dict[str, Any]:
    """Jira Software's Epic Status option, from the epic's status category."""
    number = {"todo": 1, "in_progress": 2, "done": 3}.get(category, 1)
    return {"id": str(10_000 + number), "value": CATEGORY_NAMES.get(category, "To Do"), "disabled": False}


class _Extras:
    """Batched reads for the fields that are not in the issue view."""

    def __init__(self) -> None:
        self.comments: dict[int, list[Comment]] = {}
        self.watches: dict = {}
        self.votes: dict = {}
        self.attachments: dict[int, list] = {}
        self.worklogs: dict[int, tuple[list, int]] = {}
        self.ranks: dict[int, str] = {}
        self.users: dict = {}

    async def load(self, session: AsyncSession, actor: Actor, issues: Sequence[Issue], selection: FieldSelection
                   ) -> None:
        ids = [issue.id for issue in issues]
        org = actor.organization_id
        if selection.has("comment"):
            self.comments = await visible_comments_by_issue(session, actor, ids)
        if selection.has("watches"):
            self.watches = await watch_counts(session, actor, ids)
        if selection.has("votes"):
            self.votes = await vote_counts(session, actor, ids)
        if selection.has("attachment"):
            self.attachments = await attachments_by_issue(session, org, ids)
        if selection.has("worklog"):
            self.worklogs = await worklogs_by_issue(session, org, ids, per_issue=20)
        if selection.has(RANK_FIELD):
            self.ranks = await ranks_of(session, org, ids)
        user_ids = {c.author_id for cs in self.comments.values() for c in cs}
        user_ids |= {a.author_id for attachments in self.attachments.values() for a in attachments}
        user_ids |= {w.author_id for ws, _ in self.worklogs.values() for w in ws}
        user_ids |= {w.update_author_id for ws, _ in self.worklogs.values() for w in ws}
        user_ids.discard(None)
        self.users = await users_by_id(session, org, user_ids) if user_ids else {}


# The issue view's keys (tessera.issues.views.VIEW_KEYS) each Jira field is made of; `id` and
# `key` come always. A page asking for a few fields has only these keys built.
_VIEW_KEYS_OF: dict[str, tuple[str, ...]] = {
    "issuetype": ("issue_type",), "project": ("project",), "summary": ("summary",), "description": ("description",),
    "status": ("status",), "priority": ("priority",), "resolution": ("resolution",), "assignee": ("assignee",),
    "reporter": ("reporter",), "creator": ("creator",), "labels": ("labels",), "components": ("components",),
    "fixVersions": ("fix_versions",), "versions": ("affected_versions",), "duedate": ("due_date",),
    "parent": ("parent",), "created": ("created",), "updated": ("updated",), "resolutiondate": ("resolved",),
    "issuelinks": ("links",), "subtasks": ("subtasks",), "timespent": ("time_spent",),
    "timeoriginalestimate": ("original_estimate",), "timeestimate": ("remaining_estimate",),
    "timetracking": ("original_estimate", "remaining_estimate", "time_spent"), "security": ("security_level",),
    EPIC_LINK_FIELD: ("parent",), EPIC_NAME_FIELD: ("issue_type", "summary"),
    EPIC_STATUS_FIELD: ("issue_type", "status"),
}


def _view_keys(selection: FieldSelection, every: list[JiraField], expand: frozenset[str]) -> set[str] | None:
    """The view keys the selected fields need (None: all of them)."""
    if selection.wanted is None:
        return None
    keys = {key for field_id, needs in _VIEW_KEYS_OF.items() if selection.has(field_id) for key in needs}
    if any(f.definition is not None and selection.has(f.id) for f in every):
        keys.add("custom_fields")
    if "renderedfields" in expand:
        keys.add("description")
    return keys


def security_level_json(links: Links, level: dict | None) -> dict[str, Any] | None:
    """Jira's `security` field: the issue's security level, or null."""
    if level is None:
        return None
    return {"self": f"{links.api}/securitylevel/{level['id']}", "id": str(level["id"]), "description": "",
            "name": level["name"]}


def issue_columns(catalog: OrgCatalog, selection: FieldSelection, expand: frozenset[str] = frozenset()) -> list:
    """The issue columns render_jira_issues reads for the selection (search_issues' `columns`)."""
    return row_columns(_view_keys(selection, all_fields(catalog), expand))


def _field_builders(links: Links, catalog: OrgCatalog, extras: _Extras, selection: FieldSelection,
                    customs: list[JiraField]) -> list[tuple[str, Callable[[dict], Any]]]:
    """(Jira field id, its value from an issue view) for each selected field, in Jira's order;
    made once per page."""
    def issuetype(view: dict) -> dict[str, Any]:
        kind = catalog.issue_type(view["issue_type"]["id"])
        return issuetype_json(links, kind.id, kind.name, kind.subtask, kind.description)

    # Statuses, priorities and people repeat across a page: each one's JSON is built once and
    # copied per issue (nested dicts too), so that no two issues share a dict a caller might change.
    statuses: dict[int, dict[str, Any]] = {}
    priorities: dict[int, dict[str, Any]] = {}
    people: dict[int, dict[str, Any]] = {}

    def status(view: dict) -> dict[str, Any]:
        shown = view["status"]
        known = statuses.get(shown["id"])
        if known is None:
            known = statuses[shown["id"]] = status_json(links, shown["id"], shown["name"], shown["category"],
                                                        catalog.status(shown["id"]).description)
        return {**known, "statusCategory": dict(known["statusCategory"])}

    def priority(view: dict) -> dict[str, Any]:
        known = priorities.get(view["priority"]["id"])
        if known is None:
            shown = catalog.priority(view["priority"]["id"])
            known = priorities[shown.id] = priority_json(links, shown.id, shown.name, shown.color)
        return known.copy()

    def person(user: dict | None) -> dict[str, Any] | None:
        if user is None:
            return None
        known = people.get(user["id"])
        if known is None:
            known = people[user["id"]] = user_json(links, user)  # type: ignore[assignment]
        return {**known, "avatarUrls": dict(known["avatarUrls"])}

    def resolution(view: dict) -> dict[str, Any] | None:
        shown = catalog.resolution(view["resolution"]["id"]) if view["resolution"] else None
        return resolution_json(links, shown.id, shown.name, shown.description) if shown else None

    def issue_links(view: dict) -> list[dict[str, Any]]:
        shown = []
        for link in view["links"]:
            link_type = link["type"]
            shown.append({
                "id": str(link["id"]), "self": f"{links.api}/issueLink/{link['id']}",
                "type": {"id": str(link_type["id"]), "name": link_type["name"], "inward": link_type["inward"],
                         "outward": link_type["outward"], "self": f"{links.api}/issueLinkType/{link_type['id']}"},
                ("outwardIssue" if link["direction"] == "outward" else "inwardIssue"): _brief(links, catalog,
                                                                                              link["issue"])})
        return shown

    def watches(view: dict) -> dict[str, Any]:
        issue_id = view["id"]
        return {"self": f"{links.api}/issue/{view['key']}/watchers",
                "watchCount": extras.watches[issue_id].count if issue_id in extras.watches else 0,
                "isWatching": bool(issue_id in extras.watches and extras.watches[issue_id].mine)}

    def votes(view: dict) -> dict[str, Any]:
        issue_id = view["id"]
        return {"self": f"{links.api}/issue/{view['key']}/votes",
                "votes": extras.votes[issue_id].count if issue_id in extras.votes else 0,
                "hasVoted": bool(issue_id in extras.votes and extras.votes[issue_id].mine)}

    def project(view: dict) -> dict[str, Any]:
        shown = view["project"]
        return project_json(links, shown["id"], shown["key"], shown["name"])

    values: dict[str, Callable[[dict], Any]] = {
        "issuetype": issuetype,
        "project": project,
        "summary": lambda view: view["summary"],
        "description": lambda view: rich_text(links, view["description"] or None),
        "status": status,
        "priority": priority,
        "resolution": resolution,
        "assignee": lambda view: person(view["assignee"]),
        "reporter": lambda view: person(view["reporter"]),
        "creator": lambda view: person(view["creator"]),
        "labels": lambda view: view["labels"],
        "components": lambda view: [component_json(links, c["id"], c["name"]) for c in view["components"]],
        "fixVersions": lambda view: [version_json(links, v["id"], v["name"], released=v["released"], archived=False)
                                     for v in view["fix_versions"]],
        "versions": lambda view: [version_json(links, v["id"], v["name"], released=v["released"], archived=False)
                                  for v in view["affected_versions"]],
        "duedate": lambda view: jira_date(view["due_date"]),
        "parent": lambda view: _brief(links, catalog, view["parent"]) if view["parent"] else None,
        "created": lambda view: jira_time(view["created"]),
        "updated": lambda view: jira_time(view["updated"]),
        "resolutiondate": lambda view: jira_time(view["resolved"]),
        "issuelinks": issue_links,
        "subtasks": lambda view: [_brief(links, catalog, s) for s in view["subtasks"]],
        "comment": lambda view: _comment_page(links, extras.comments.get(view["id"], []), extras.users),
        "watches": watches,
        "votes": votes,
        "attachment": lambda view: [attachment_json(links, a, extras.users)
                                    for a in extras.attachments.get(view["id"], [])],
        "worklog": lambda view: _worklog_page(links, extras.worklogs.get(view["id"], ([], 0)), extras.users),
        "timespent": lambda view: view["time_spent"],
        "timeoriginalestimate": lambda view: view["original_estimate"],
        "timeestimate": lambda view: view["remaining_estimate"],
        "timetracking": timetracking_json,
        "security": lambda view: security_level_json(links, view["security_level"]),
        RANK_FIELD: lambda view: extras.ranks.get(view["id"]),
        EPIC_LINK_FIELD: lambda view: _epic_link(catalog, view["parent"]),
        EPIC_NAME_FIELD: lambda view: view["summary"] if _is_epic(catalog, view) else None,
        EPIC_STATUS_FIELD: lambda view: epic_status_json(view["status"]["category"]) if _is_epic(catalog, view)
        else None,
    }
    builders = [(name, make) for name, make in values.items() if selection.has(name)]
    for jira_field in customs:
        definition = jira_field.definition
        if selection.has(jira_field.id) and definition is not None:
            builders.append((jira_field.id, lambda view, definition=definition: _custom_value(
                links, definition, view["custom_fields"].get(definition.key))))
    return builders


def _comment_page(links: Links, comments: list[Comment], users: dict) -> dict[str, Any]:
    return {"comments": [comment_json(links, c, users) for c in comments], "maxResults": len(comments),
            "total": len(comments), "startAt": 0}


def _worklog_page(links: Links, found: tuple[Sequence, int], users: dict) -> dict[str, Any]:
    worklogs, total = found
    return {"startAt": 0, "maxResults": 20, "total": total, "worklogs": [worklog_json(links, w, users)
                                                                        for w in worklogs]}


def history_json(links: Links, history: dict, author: Any) -> dict[str, Any]:
    """One change group of tessera.issues.history.load_changelog, by `author` (a user or its view)."""
    return {"id": str(history["id"]), "author": user_json(links, author), "created": jira_time(history["created"]),
            "items": [{"field": i["field"], "fieldtype": i["field_type"], "fieldId": i["field_id"],
                       "from": i["from"], "fromString": i["from_string"], "to": i["to"], "toString": i["to_string"]}
                      for i in history["items"]]}


def _changelog(links: Links, histories: list[dict]) -> dict[str, Any]:
    return {"startAt": 0, "maxResults": len(histories), "total": len(histories),
            "histories": [history_json(links, h, h["author"]) for h in histories]}


async def render_jira_issues(session: AsyncSession, *, actor: Actor, issues: Sequence[Issue], links: Links,
                             selection: FieldSelection, expand: frozenset[str] = frozenset(),
                             projects: dict[int, Project] | None = None) -> list[dict[str, Any]]:
    if not issues:
        return []
    catalog = await catalog_for(session, actor)
    every = all_fields(catalog)
    views = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=issues, catalog=catalog,
                                expand=expand & {"changelog"}, projects=projects,
                                known_users=[UserBrief(actor.user_id, actor.display_name, actor.email)],
                                only=_view_keys(selection, every, expand))
    extras = _Extras()
    await extras.load(session, actor, issues, selection)
    builders = _field_builders(links, catalog, extras, selection, [f for f in every if f.definition is not None])
    rendered = []
    for view in views:
        fields = {name: make(view) for name, make in builders}
        issue: dict[str, Any] = {"expand": EXPANDABLE, "id": str(view["id"]), "self": links.issue(view["id"]),
                                 "key": view["key"], "fields": fields}
        if "names" in expand:
            issue["names"] = {f.id: f.name for f in every if f.id in fields}
        if "schema" in expand:
            issue["schema"] = {f.id: f.schema for f in every if f.id in fields}
        if "renderedfields" in expand:
            issue["renderedFields"] = {
                "description": render_body(view["description"]) if view["description"] else None,
                "comment": {**fields["comment"], "comments": [
                    comment_json(links, c, extras.users, rendered=True) | {"body": render_body(c.body)}
                    for c in extras.comments.get(view["id"], [])]} if "comment" in fields else None,
                **{name: fields[name] for name in ("created", "updated", "duedate", "resolutiondate")
                   if name in fields}}
        if "changelog" in expand:
            issue["changelog"] = _changelog(links, view.get("changelog", []))
        rendered.append(issue)
    return rendered
