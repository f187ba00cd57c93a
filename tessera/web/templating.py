"""The Jinja2 environment of the pages and the small filters their templates use."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from tessera.tenancy.time_zones import zone_info

TEMPLATES = Path(__file__).parent / "templates"
AVATAR_COLORS = ("#0052cc", "#006644", "#bf2600", "#5243aa", "#a54800", "#00687a", "#6554c0", "#172b4d")
STRONG = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
CODE = re.compile(r"`([^`\n]+)`|\{\{([^}\n]+)\}\}")
LOZENGES = {"todo": "lozenge-todo", "in_progress": "lozenge-progress", "done": "lozenge-done"}


def _parse(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _zone(context: Context) -> ZoneInfo:
    """The signed-in user's time zone (their profile's), UTC for pages without one."""
    actor = context.get("actor")
    return zone_info(getattr(actor, "time_zone", None))


@pass_context
def ago(context: Context, value: str | datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '3 hours ago', 'yesterday', then the date in the user's time zone."""
    moment = _parse(value)
    if moment is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    if seconds < 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    if seconds < 2 * 86400:
        return "yesterday"
    if seconds < 7 * 86400:
        return f"{seconds // 86400} days ago"
    return moment.astimezone(_zone(context)).strftime("%d %b %Y")


@pass_context
def when(context: Context, value: str | datetime | None) -> str:
    """The date and time in the user's time zone, named: '04 May 2026, 10:00 CEST'."""
    moment = _parse(value)
    return moment.astimezone(_zone(context)).strftime("%d %b %Y, %H:%M %Z") if moment else ""


def initials(name: str | None) -> str:
    parts = [part for part in (name or "").replace(".", " ").split() if part]
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


def avatar_color(name: str | None) -> str:
    digest = hashlib.sha1((name or "").encode()).digest()
    return AVATAR_COLORS[digest[0] % len(AVATAR_COLORS)]


def lozenge(category: str | None) -> str:
    return LOZENGES.get(category or "", "lozenge-todo")


def slug(name: str | None) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in (name or "").lower()).strip("-")


def wiki(text: str | None) -> Markup:
    """The little of Jira's wiki markup that reads badly raw: *strong*, {{code}} and `code`.
    Everything else stays text; the input is escaped first, so no markup gets through."""
    html = str(escape(text or ""))
    html = CODE.sub(lambda m: f"<code>{m.group(1) or m.group(2)}</code>", html)
    return Markup(STRONG.sub(r"<strong>\1</strong>", html))


def chart_markup(svg: str) -> Markup:
    """A chart built by tessera/reports/svg.py (which escapes every text and attribute) for inline
    use in a page: without its XML declaration. Only for those charts, never for other markup."""
    return Markup(svg[svg.index("?>") + 2:].lstrip() if svg.startswith("<?xml") else svg)


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(ago=ago, when=when, initials=initials, avatar_color=avatar_color, lozenge=lozenge,
                             slug=slug, wiki=wiki)
