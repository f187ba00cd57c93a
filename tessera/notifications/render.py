"""What a person reads about a change, whatever the channel: the issue (key, summary, current
status, link) and each change as a sentence ("Ada changed the status") with its field lines
("Status: To Do -> In Progress"), a comment's rendered Markdown, who did it and when (in the
recipient's time zone).

A notification delivery's payload (the fan-out's contract) is
`{"kind": "issue"|"digest"|"overflow", "recipient_id", "issue_id", "issue_key", "changes":
[{"event_id", "event_type", "actor_id", "at", "payload"}]}`; a digest's or an overflow's changes
span several issues, so every notification renders as sections, one per issue. What the
recipient may see was decided by the fan-out: this module shows what it was given.

`load_notifications` renders a whole batch of payloads of one organization with two queries
(issues with their status; every user named: actors, recipients, mentioned, with the
recipients' languages), plus one for custom field names only when a change touched a custom field. Every query is bound to the organization."""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.comments.markup import MentionRef, mentions_as_names, parse_body, render_parsed
from tessera.issues.durations import format_duration
from tessera.issues.models import Issue
from tessera.notifications.locale import DEFAULT_LANGUAGE, N_, translations
from tessera.notifications.models import NotificationPreference
from tessera.notifications.preferences import preferences_from
from tessera.projects.models import CustomFieldDefinition
from tessera.tenancy.models import User
from tessera.workflow.models import Status

VALUE_CHARS = 300  # a description's change is shown, not reprinted in full
CUSTOM_FIELD_BASE = 10_000  # customfield_10007 is definition 7 (tessera.issues.state)
_DURATION_FIELDS = frozenset({"timeoriginalestimate", "timeestimate", "timespent"})
_SHOWN_EVENTS = frozenset({"issue_created", "issue_deleted", "issue_updated", "status_changed", "comment_added",
                           "comment_updated", "comment_deleted", "user_mentioned", "attachment_added",
                           "attachment_deleted", "worklog_added", "worklog_updated", "worklog_deleted",
                           "issue_link_created", "issue_link_deleted", "issue_ranked", "remote_link_created",
                           "remote_link_updated", "remote_link_deleted"})

# Field ids of the change payloads (Jira's changelog ids) and the names people read.
FIELD_NAMES = {
    "status": N_("Status"), "resolution": N_("Resolution"), "assignee": N_("Assignee"),
    "reporter": N_("Reporter"), "summary": N_("Summary"), "description": N_("Description"),
    "issuetype": N_("Issue type"), "priority": N_("Priority"), "duedate": N_("Due date"),
    "parent": N_("Parent"), "labels": N_("Labels"), "components": N_("Components"),
    "fixVersions": N_("Fix versions"), "versions": N_("Affects versions"),
    "timeoriginalestimate": N_("Original estimate"), "timeestimate": N_("Remaining estimate"),
    "timespent": N_("Time spent"), "issuelinks": N_("Link"), "attachment": N_("Attachment"),
    "Rank": N_("Rank"),
}


@dataclass(frozen=True, slots=True)
class FieldLine:
    name: str
    before: str  # "(none)" when empty, already translated
    after: str


@dataclass(frozen=True, slots=True)
class ChangeView:
    event_type: str
    headline: str  # "Ada commented"
    actor: str
    at: str  # in the recipient's time zone, "2026-12-07 09:15 CET"
    fields: tuple[FieldLine, ...] = ()
    comment_html: str | None = None  # sanitized HTML (tessera.issues.comments.markup)
    comment_text: str | None = None  # the Markdown source (readable as plain text), mentions as "@Name"
    note: str | None = None  # a web link's URL, an attachment's name


@dataclass(frozen=True, slots=True)
class IssueView:
    id: int | None
    key: str
    summary: str
    status: str
    url: str
    exists: bool  # False once the issue was deleted


@dataclass(frozen=True, slots=True)
class IssueSection:
    issue: IssueView
    changes: tuple[ChangeView, ...]


@dataclass(frozen=True, slots=True)
class RenderedNotification:
    kind: str
    recipient_id: int | None
    sections: tuple[IssueSection, ...]
    translations: gettext.NullTranslations
    language: str = DEFAULT_LANGUAGE

    @property
    def change_count(self) -> int:
        return sum(len(section.changes) for section in self.sections)

    @property
    def issue(self) -> IssueView | None:
        """The one issue of an "issue" notification (None for digests and overflows of several)."""
        return self.sections[0].issue if len(self.sections) == 1 else None


def issue_url(base_url: str, key: str) -> str:
    """The web UI's issue page (tessera.web.issue_view serves /browse/{key})."""
    return f"{base_url.rstrip('/')}/browse/{key}"


@dataclass
class _Loaded:
    issues: dict[int, tuple[str, str, str]]  # id -> key, summary, status name
    users: dict[int, tuple[str, str, str]]  # id -> display name, email, time zone
    users_by_email: dict[str, int]
    custom_fields: dict[str, str]  # "customfield_10007" -> its name
    languages: dict[int, str]  # user id -> their notification language


async def load_notifications(session: AsyncSession, *, organization_id: int, payloads: Sequence[dict[str, Any]],
                             base_url: str) -> list[RenderedNotification]:
    """One RenderedNotification per payload, in order, each in its recipient's language (their
    preferences now, not when the change happened; English for a payload without a recipient)."""
    loaded = await _load(session, organization_id, payloads)
    rendered = []
    for payload in payloads:
        language = loaded.languages.get(int(payload.get("recipient_id") or 0), DEFAULT_LANGUAGE)
        rendered.append(replace(_render(payload, loaded, base_url, translations(language)), language=language))
    return rendered


async def _load(session: AsyncSession, organization_id: int, payloads: Sequence[dict[str, Any]]) -> _Loaded:
    issue_ids: set[int] = set()
    user_ids: set[int] = set()
    emails: set[str] = set()
    custom: set[int] = set()
    for payload in payloads:
        if payload.get("recipient_id"):
            user_ids.add(int(payload["recipient_id"]))
        for change in _changes(payload):
            data = change.get("payload") or {}
            if data.get("issue_id"):
                issue_ids.add(int(data["issue_id"]))
            for user_id in (change.get("actor_id"), data.get("user_id"), data.get("mentioned_user_id")):
                if user_id:
                    user_ids.add(int(user_id))
            for kind, value in _mention_refs(change):
                (user_ids.add(int(value)) if kind == "id" else emails.add(str(value)))
            for field_id in data.get("field_changes") or {}:
                if field_id.startswith("customfield_") and field_id[12:].isdigit():
                    custom.add(int(field_id[12:]) - CUSTOM_FIELD_BASE)
        if payload.get("issue_id"):
            issue_ids.add(int(payload["issue_id"]))
    issues: dict[int, tuple[str, str, str]] = {}
    if issue_ids:
        rows = await session.execute(
            select(Issue.id, Issue.key, Issue.summary, Status.name).join(Status, Status.id == Issue.status_id)
            .where(Issue.organization_id == organization_id, Issue.id.in_(sorted(issue_ids))))
        issues = {row[0]: (row[1], row[2], row[3]) for row in rows}
    users: dict[int, tuple[str, str, str]] = {}
    languages: dict[int, str] = {}
    if user_ids or emails:
        matches = [User.id.in_(sorted(user_ids))] if user_ids else []
        if emails:
            matches.append(User.email.in_(sorted(emails)))
        # The preferences ride along (for the recipients' language) rather than cost a query.
        rows = (await session.execute(
            select(User.id, User.display_name, User.email, User.time_zone, NotificationPreference.settings)
            .outerjoin(NotificationPreference, (NotificationPreference.organization_id == User.organization_id)
                       & (NotificationPreference.user_id == User.id))
            .where(User.organization_id == organization_id, or_(*matches)))).all()
        users = {row[0]: (row[1], row[2], row[3]) for row in rows}
        languages = {row[0]: preferences_from(row[4]).language for row in rows}
    names: dict[str, str] = {}
    if custom:
        rows = await session.execute(select(CustomFieldDefinition.id, CustomFieldDefinition.name).where(
            CustomFieldDefinition.organization_id == organization_id, CustomFieldDefinition.id.in_(sorted(custom))))
        names = {f"customfield_{CUSTOM_FIELD_BASE + row[0]}": row[1] for row in rows}
    return _Loaded(issues, users, {email: user_id for user_id, (_, email, _) in users.items()}, names, languages)


def _changes(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [change for change in payload.get("changes") or () if isinstance(change, dict)]


def _mention_refs(change: dict[str, Any]) -> Iterable[MentionRef]:
    body = (change.get("payload") or {}).get("body")
    return parse_body(body).mentions if isinstance(body, str) and body else ()


def _render(payload: dict[str, Any], loaded: _Loaded, base_url: str,
            catalog: gettext.NullTranslations) -> RenderedNotification:
    recipient = loaded.users.get(int(payload.get("recipient_id") or 0))
    zone = _zone(recipient[2] if recipient else "UTC")
    by_issue: dict[tuple[int | None, str], list[ChangeView]] = {}
    for change in sorted(_changes(payload), key=lambda c: (str(c.get("at") or ""), int(c.get("event_id") or 0))):
        if change.get("event_type") not in _SHOWN_EVENTS and not (change.get("payload") or {}).get("issue_id"):
            continue
        data = change.get("payload") or {}
        issue_id = data.get("issue_id") or payload.get("issue_id")
        key = data.get("issue_key") or payload.get("issue_key") or ""
        by_issue.setdefault((issue_id, key), []).append(
            _change_view(change, loaded, catalog, zone, payload.get("recipient_id")))
    if not by_issue and payload.get("issue_id"):
        by_issue[(payload["issue_id"], payload.get("issue_key") or "")] = []
    # A deleted issue's row is gone: its deletion's change says what it was called.
    deleted = {change["payload"].get("issue_id"): change["payload"]["summary"] for change in _changes(payload)
               if change.get("event_type") == "issue_deleted" and isinstance(change.get("payload"), dict)
               and isinstance(change["payload"].get("summary"), str)}
    sections = tuple(IssueSection(_issue_view(issue_id, key, loaded, base_url, catalog, deleted.get(issue_id)),
                                  tuple(changes)) for (issue_id, key), changes in by_issue.items())
    return RenderedNotification(str(payload.get("kind") or "issue"), payload.get("recipient_id"), sections, catalog)


def _issue_view(issue_id: int | None, key: str, loaded: _Loaded, base_url: str,
                catalog: gettext.NullTranslations, deleted_summary: str | None = None) -> IssueView:
    """A deleted issue (no row) shows the summary its deletion recorded, if the notification
    has its deletion, and "(deleted issue)" as its status; templates do not link to it."""
    row = loaded.issues.get(int(issue_id or 0))
    if row is None:
        gone = catalog.gettext("(deleted issue)")
        if deleted_summary is None:
            return IssueView(issue_id, key, gone, "", issue_url(base_url, key), False)
        return IssueView(issue_id, key, deleted_summary, gone, issue_url(base_url, key), False)
    return IssueView(issue_id, row[0], row[1], row[2], issue_url(base_url, row[0]), True)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _when(at: object, zone: ZoneInfo) -> str:
    try:
        moment = datetime.fromisoformat(str(at))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _change_view(change: dict[str, Any], loaded: _Loaded, catalog: gettext.NullTranslations,
                 zone: ZoneInfo, recipient_id: int | None) -> ChangeView:
    _ = catalog.gettext
    data = change.get("payload") or {}
    event_type = str(change.get("event_type") or "")
    actor_id = change.get("actor_id") or data.get("user_id")
    if actor_id is None:
        actor = _("Tessera")
    else:
        user = loaded.users.get(int(actor_id))
        actor = user[0] if user else _("A former user")
    fields = tuple(_field_line(field_id, values, loaded, catalog)
                   for field_id, values in (data.get("field_changes") or {}).items() if isinstance(values, dict))
    comment_html = comment_text = note = None
    if event_type in ("comment_added", "comment_updated") and isinstance(data.get("body"), str):
        parsed = parse_body(data["body"])
        mentioned = {}
        for ref in parsed.mentions:
            user_id = int(ref[1]) if ref[0] == "id" else loaded.users_by_email.get(str(ref[1]))
            if user_id in loaded.users:
                mentioned[ref] = (user_id, loaded.users[user_id][0])
        comment_html, comment_text = render_parsed(parsed, mentioned), mentions_as_names(data["body"], mentioned)
    if event_type == "issue_notified" and isinstance(data.get("text_body"), str) and data["text_body"]:
        comment_html, comment_text = render_parsed(parse_body(data["text_body"]), {}), data["text_body"]
    if event_type.startswith("attachment_"):
        note = str(data.get("filename") or "")
    elif event_type.startswith("remote_link_"):
        note = data.get("url")
    if event_type == "user_mentioned" and data.get("mentioned_user_id") != recipient_id:
        mentioned = loaded.users.get(int(data.get("mentioned_user_id") or 0))
        headline = _("{actor} mentioned {user}").format(actor=actor, user=mentioned[0] if mentioned else _(
            "A former user"))
    elif event_type == "issue_notified" and str(data.get("subject") or "").strip():
        headline = str(data["subject"]).strip()  # the sender's own subject, as Jira's notify mails it
    else:
        headline = _headline(event_type, actor, data, len(fields), catalog)
    return ChangeView(event_type, headline, actor, _when(change.get("at") or data.get("timestamp"), zone),
                      fields, comment_html, comment_text, note)


def _headline(event_type: str, actor: str, data: dict[str, Any], field_count: int,
              catalog: gettext.NullTranslations) -> str:
    _ = catalog.gettext
    key = data.get("issue_key") or ""
    if event_type == "issue_updated":
        return catalog.ngettext("{actor} changed {count} field", "{actor} changed {count} fields",
                                field_count).format(actor=actor, count=field_count)
    if event_type in ("worklog_added", "worklog_updated"):
        spent = format_duration(int(data.get("time_spent_seconds") or 0))
        text = _("{actor} logged {duration}") if event_type == "worklog_added" else _(
            "{actor} changed a work log to {duration}")
        return text.format(actor=actor, duration=spent)
    templates = {
        "issue_created": _("{actor} created {key}"), "issue_deleted": _("{actor} deleted {key}"),
        "status_changed": _("{actor} changed the status"), "comment_added": _("{actor} commented"),
        "comment_updated": _("{actor} edited a comment"), "comment_deleted": _("{actor} deleted a comment"),
        "user_mentioned": _("{actor} mentioned you"), "attachment_added": _("{actor} attached a file"),
        "attachment_deleted": _("{actor} removed an attachment"), "worklog_deleted": _("{actor} deleted a work log"),
        "issue_link_created": _("{actor} linked an issue"), "issue_link_deleted": _("{actor} removed a link"),
        "issue_ranked": _("{actor} changed the rank"), "remote_link_created": _("{actor} added a web link"),
        "remote_link_updated": _("{actor} changed a web link"), "remote_link_deleted": _("{actor} removed a web link"),
    }
    template = templates.get(event_type)
    if template is None:  # a workflow's own event, or one added after this module
        return _("{actor}: {event}").format(actor=actor, event=event_type.replace("_", " "))
    return template.format(actor=actor, key=key)


def _field_line(field_id: str, values: dict[str, Any], loaded: _Loaded,
                catalog: gettext.NullTranslations) -> FieldLine:
    known = FIELD_NAMES.get(field_id)
    name = catalog.gettext(known) if known else loaded.custom_fields.get(field_id, field_id)
    return FieldLine(name, _value(field_id, values.get("from"), catalog), _value(field_id, values.get("to"), catalog))


def _value(field_id: str, value: object, catalog: gettext.NullTranslations) -> str:
    if value is None or value == "":
        return catalog.gettext("(none)")
    text = str(value)
    if field_id in _DURATION_FIELDS and text.isdigit():
        return format_duration(int(text))
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 1] + "…"
