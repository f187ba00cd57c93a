"""A notification as a Slack Block Kit message: per issue a header (key and summary), a section
per change (the headline and its field lines, a comment quoted), a context line (who, when) and
a button to the issue; `text` is the fallback that Slack shows in notifications.

Slack's limits shape it: 50 blocks a message, 150 characters of header text, 3000 of section
text; a long batch keeps its latest changes and says how many it left out. Text is escaped for
mrkdwn (&, <, >), so a summary cannot ping @channel or forge a link."""

from __future__ import annotations

from typing import Any

from tessera.notifications.render import ChangeView, IssueSection, RenderedNotification

MAX_BLOCKS = 50
HEADER_CHARS = 150
SECTION_CHARS = 3000
COMMENT_CHARS = 1500
CHANGES_PER_ISSUE = 10


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def slack_message(rendered: RenderedNotification) -> dict[str, Any]:
    _ = rendered.translations.gettext
    blocks: list[dict[str, Any]] = []
    for section in rendered.sections:
        issue_blocks = _issue_blocks(section, rendered)
        if len(blocks) + len(issue_blocks) > MAX_BLOCKS:
            break
        blocks.extend(issue_blocks)
    issue = rendered.issue
    if issue is not None:
        fallback = f"{issue.key} {issue.summary}: " + "; ".join(c.headline for c in rendered.sections[0].changes[-3:])
    else:
        fallback = rendered.translations.ngettext("{count} update in Tessera", "{count} updates in Tessera",
                                                  rendered.change_count).format(count=rendered.change_count)
    return {"text": escape(_cut(fallback, SECTION_CHARS)), "blocks": blocks, "unfurl_links": False}


def _issue_blocks(section: IssueSection, rendered: RenderedNotification) -> list[dict[str, Any]]:
    catalog = rendered.translations
    issue = section.issue
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(f"{issue.key} {issue.summary}", HEADER_CHARS),
                                    "emoji": False}}]
    shown = section.changes[-CHANGES_PER_ISSUE:]
    left_out = len(section.changes) - len(shown)
    if left_out:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(catalog.ngettext(
            "{count} earlier change not shown", "{count} earlier changes not shown", left_out).format(
            count=left_out))}]})
    for change in shown:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(_change_text(change),
                                                                                  SECTION_CHARS)}})
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": escape(f"{change.actor} · {change.at}")}]})
    if issue.exists:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": _cut(
                catalog.gettext("Open {key}").format(key=issue.key), 75)},
            "url": issue.url, "action_id": f"open-{issue.key}"}]})
    return blocks


def _change_text(change: ChangeView) -> str:
    lines = [f"*{escape(change.headline)}*"]
    lines.extend(f"{escape(line.name)}: ~{escape(line.before)}~ → {escape(line.after)}"
                 if line.before != line.after else f"{escape(line.name)}: {escape(line.after)}"
                 for line in change.fields)
    if change.comment_text:
        quoted = _cut(change.comment_text, COMMENT_CHARS)
        lines.extend(f">{escape(line)}" for line in quoted.splitlines() or [""])
    if change.note:
        lines.append(escape(change.note))
    return "\n".join(lines)
