"""What a push delivery shows: a short title ("SHOP-12 Cart total ignores coupon"), a body
saying what changed and who changed it, and the issue's URL, which the service worker opens on
a click. Push services cap a message at ~4 KB, so the text is kept short.

The delivery's payload (from the notification fan-out) is `{"kind": "issue"|"digest"|"overflow",
"recipient_id", "issue_id", "issue_key", "changes": [{"event_id", "event_type", "actor_id",
"at", "payload"}]}`; summaries and names are read here, when sending, so they are current."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.models import Issue
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


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("display_name") or value.get("key") or ""
    return "none" if value in (None, "", []) else _clip(value if isinstance(value, str) else str(value), 40)


def describe_change(change: Mapping[str, Any], names: Mapping[int, str]) -> str:
    """One line: who did what ("Ada moved it from To Do to In Progress")."""
    who = names.get(change.get("actor_id"), "Someone")  # type: ignore[arg-type]
    kind = str(change.get("event_type") or "")
    payload = change.get("payload") if isinstance(change.get("payload"), Mapping) else {}
    assert isinstance(payload, Mapping)
    changes = payload.get("field_changes") if isinstance(payload.get("field_changes"), Mapping) else {}
    assert isinstance(changes, Mapping)
    if kind == "issue_created":
        return f"{who} created this issue"
    if kind == "status_changed" and isinstance(changes.get("status"), Mapping):
        status = changes["status"]
        return f"{who} moved it from {_value(status.get('from'))} to {_value(status.get('to'))}"
    if kind.startswith("comment_"):
        verb = {"comment_added": "commented", "comment_updated": "edited a comment"}.get(kind, "removed a comment")
        body = payload.get("body")
        return f"{who} {verb}: {_clip(body, 80)}" if isinstance(body, str) and body and kind != "comment_deleted" \
            else f"{who} {verb}"
    if changes:
        if len(changes) == 1:
            [(field, values)] = changes.items()
            if isinstance(values, Mapping):
                return f"{who} changed {field}: {_value(values.get('from'))} → {_value(values.get('to'))}"
        return f"{who} changed " + ", ".join(sorted(str(field) for field in changes))
    if kind == "user_mentioned":
        return f"{who} mentioned you"
    return f"{who}: {kind.replace('_', ' ') or 'an update'}"


def push_message(payload: Mapping[str, Any], *, summaries: Mapping[int, str], names: Mapping[int, str],
                 base_url: str, tag: str) -> dict[str, Any]:
    """The JSON the service worker receives: title, body, url, tag (a repeat with the same tag
    replaces the notification on screen instead of stacking, so a retried delivery shows once)."""
    kind = payload.get("kind") or "issue"
    key = payload.get("issue_key") if isinstance(payload.get("issue_key"), str) else None
    changes = [change for change in payload.get("changes") or () if isinstance(change, Mapping)]
    base = base_url.rstrip("/")
    if key:
        summary = summaries.get(payload.get("issue_id"), "")  # type: ignore[arg-type]
        title = _clip(f"{key} {summary}".strip(), TITLE_CHARS)
        url = f"{base}/browse/{key}"
    else:
        title = "Tessera: " + (f"{len(changes)} updates" if changes else "new notifications")
        url = f"{base}/notifications"
    lines = [_clip(describe_change(change, names), LINE_CHARS) for change in changes[-SHOWN_CHANGES:]]
    if len(changes) > SHOWN_CHANGES:
        lines.insert(0, f"{len(changes)} changes; the latest:")
    if kind == "overflow":
        lines.insert(0, "Many updates this hour; more are in your inbox.")
    elif kind == "digest":
        lines.insert(0, "Your digest")
    return {"title": title, "body": "\n".join(lines) or "Something changed.", "url": url, "tag": tag,
            "issue_key": key, "kind": kind}
