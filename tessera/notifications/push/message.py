"""What a push delivery shows: a short title ("SHOP-12 Cart total ignores coupon"), a body
saying what changed and who changed it, and the issue's URL, which the service worker opens on
a click. Push services cap a message at ~4 KB, so the text is kept short.

The delivery's payload (from the notification fan-out) is `{"kind": "issue"|"digest"|"overflow",
"recipient_id", "issue_id", "issue_key", "changes": [{"event_id", "event_type", "actor_id",
"at", "payload"}]}`; summaries and names are read here, when sending, so they are current, and
the words are the recipient's language's (their preferences when sending)."""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.models import Issue
from tessera.notifications.render import FIELD_NAMES
from tessera.tenancy.models import User

TITLE_CHARS = 80
LINE_CHARS = 120
SHOWN_CHANGES = 3


async def load_names(session: AsyncSession, organization_id: int, payloads: Iterable[Mapping[str, Any]]
                     ) -> tuple[dict[int, str], dict[int, str]]:
    """(issue id -> summary, user id -> display name) for the given payloads, of one organization."""
    issue_ids, user_ids = set(), set()
    for payload in payloads:
        if isinstance(payload.get("issue_id"), int):
            issue_ids.add(payload["issue_id"])
        for change in payload.get("changes") or ():
            if isinstance(change, Mapping) and isinstance(change.get("actor_id"), int):
                user_ids.add(change["actor_id"])
    summaries = dict((await session.execute(select(Issue.id, Issue.summary).where(
        Issue.organization_id == organization_id, Issue.id.in_(sorted(issue_ids))))).all()) if issue_ids else {}
    names = dict((await session.execute(select(User.id, User.display_name).where(
        User.organization_id == organization_id, User.id.in_(sorted(user_ids))))).all()) if user_ids else {}
    return summaries, names


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _value(value: Any, catalog: gettext.NullTranslations) -> str:
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("display_name") or value.get("key") or ""
    if value in (None, "", []):
        return catalog.gettext("none")
    return _clip(value if isinstance(value, str) else str(value), 40)


def _field(field_id: str, catalog: gettext.NullTranslations) -> str:
    known = FIELD_NAMES.get(field_id)
    return catalog.gettext(known) if known else field_id


def describe_change(change: Mapping[str, Any], names: Mapping[int, str],
                    catalog: gettext.NullTranslations) -> str:
    """One line: who did what ("Ada moved it from To Do to In Progress"), in the catalog's language."""
    _ = catalog.gettext
    who = names.get(change.get("actor_id"), _("Someone"))  # type: ignore[arg-type]
    kind = str(change.get("event_type") or "")
    payload = change.get("payload") if isinstance(change.get("payload"), Mapping) else {}
    assert isinstance(payload, Mapping)
    changes = payload.get("field_changes") if isinstance(payload.get("field_changes"), Mapping) else {}
    assert isinstance(changes, Mapping)
    if kind == "issue_created":
        return _("{actor} created this issue").format(actor=who)
    if kind == "issue_notified" and str(payload.get("subject") or "").strip():
        return f"{who}: {_clip(str(payload['subject']).strip(), 80)}"  # the sender's own words
    if kind == "issue_deleted":
        return _("{actor} deleted {key}").format(actor=who, key=payload.get("issue_key") or "")
    if kind == "status_changed" and isinstance(changes.get("status"), Mapping):
        status = changes["status"]
        return _("{actor} moved it from {old} to {new}").format(
            actor=who, old=_value(status.get("from"), catalog), new=_value(status.get("to"), catalog))
    if kind.startswith("comment_"):
        body = payload.get("body")
        if kind != "comment_deleted" and isinstance(body, str) and body:
            text = _("{actor} commented: {text}") if kind == "comment_added" else _("{actor} edited a comment: {text}")
            return text.format(actor=who, text=_clip(body, 80))
        verb = {"comment_added": _("{actor} commented"), "comment_updated": _("{actor} edited a comment")}
        return verb.get(kind, _("{actor} removed a comment")).format(actor=who)
    if changes:
        if len(changes) == 1:
            [(field, values)] = changes.items()
            if isinstance(values, Mapping):
                return _("{actor} changed {field}: {old} → {new}").format(
                    actor=who, field=_field(str(field), catalog), old=_value(values.get("from"), catalog),
                    new=_value(values.get("to"), catalog))
        return _("{actor} changed {fields}").format(
            actor=who, fields=", ".join(sorted(_field(str(field), catalog) for field in changes)))
    if kind == "user_mentioned":
        return _("{actor} mentioned you").format(actor=who)
    return _("{actor}: {event}").format(actor=who, event=kind.replace("_", " ") or _("an update"))


def push_message(payload: Mapping[str, Any], *, summaries: Mapping[int, str], names: Mapping[int, str],
                 base_url: str, tag: str, catalog: gettext.NullTranslations) -> dict[str, Any]:
    """The JSON the service worker receives: title, body, url, tag (a repeat with the same tag
    replaces the notification on screen instead of stacking, so a retried delivery shows once).
    `catalog` is the recipient's (tessera.notifications.locale.translations)."""
    kind = payload.get("kind") or "issue"
    key = payload.get("issue_key") if isinstance(payload.get("issue_key"), str) else None
    changes = [change for change in payload.get("changes") or () if isinstance(change, Mapping)]
    base = base_url.rstrip("/")
    deletion = next((change.get("payload") for change in changes if change.get("event_type") == "issue_deleted"
                     and isinstance(change.get("payload"), Mapping)), None)
    if key:
        # A deleted issue has no page (nor a summary to read): its deletion recorded the summary.
        summary = summaries.get(payload.get("issue_id"), "")  # type: ignore[arg-type]
        if deletion is not None and not summary:
            summary = str(deletion.get("summary") or "")
        title = _clip(f"{key} {summary}".strip(), TITLE_CHARS)
        url = f"{base}/notifications" if deletion is not None else f"{base}/browse/{key}"
    else:
        title = catalog.ngettext("Tessera: {count} update", "Tessera: {count} updates", len(changes)).format(
            count=len(changes)) if changes else catalog.gettext("Tessera: new notifications")
        url = f"{base}/notifications"
    lines = [_clip(describe_change(change, names, catalog), LINE_CHARS) for change in changes[-SHOWN_CHANGES:]]
    if len(changes) > SHOWN_CHANGES:
        lines.insert(0, catalog.ngettext("{count} change; the latest:", "{count} changes; the latest:",
                                         len(changes)).format(count=len(changes)))
    if kind == "overflow":
        lines.insert(0, catalog.gettext("Many updates this hour; more are in your inbox."))
    elif kind == "digest":
        lines.insert(0, catalog.gettext("Your digest"))
    return {"title": title, "body": "\n".join(lines) or catalog.gettext("Something changed."), "url": url,
            "tag": tag, "issue_key": key, "kind": kind}
