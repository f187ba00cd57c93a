"""Generated avatars: a user's initials on a colour picked from their name, as SVG. Served where
an API promises an avatar URL (Jira's avatarUrls) and inlined where a picture is wanted at once
(GraphQL's avatar of users without one)."""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

AVATAR_COLORS = ("#0052cc", "#00875a", "#de350b", "#5243aa", "#ff8b00", "#00a3bf", "#6554c0", "#36b37e")


def initials(name: str) -> str:
    parts = [part for part in name.replace(".", " ").split() if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


def initials_svg(name: str, size: int = 48) -> str:
    """A round `size`-pixel avatar; the text is escaped (names are user input)."""
    color = AVATAR_COLORS[int(hashlib.sha1(name.encode()).hexdigest(), 16) % len(AVATAR_COLORS)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 48 48">'
            f'<rect width="48" height="48" rx="24" fill="{color}"/><text x="24" y="30" font-family="sans-serif" '
            f'font-size="18" fill="#fff" text-anchor="middle">{escape(initials(name))}</text></svg>')
