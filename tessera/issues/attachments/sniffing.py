"""What an attachment really is, judged from its first bytes, never from what the client said.

Binary formats come from `filetype`'s magic numbers. Text is recognised as UTF-8 without NULs;
HTML and SVG are told apart from plain text because they can carry script, and are therefore
never served inline (see `may_render_inline`)."""

from __future__ import annotations

import filetype

SNIFF_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
# Images a browser renders without running anything; everything else downloads.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"})
# WHATWG MIME sniffing's "HTML" patterns: a tag that makes a browser treat bytes as a page.
_HTML_STARTS = ("<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table",
                "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--")


def sniff_content_type(head: bytes) -> str:
    kind = filetype.guess(head[:SNIFF_BYTES]) if head else None
    if kind is not None:
        return str(kind.mime)
    text = _as_text(head[:SNIFF_BYTES])
    if text is None:
        return OCTET_STREAM
    start = text.lstrip("\ufeff \t\r\n\f").lower()
    if _looks_like_svg(start):
        return "image/svg+xml"
    if any(start.startswith(tag) and start[len(tag):len(tag) + 1] in (" ", ">", "") for tag in _HTML_STARTS):
        return "text/html"
    if start.startswith("<?xml"):
        return "application/xml"
    return "text/plain"


def may_render_inline(content_type: str) -> bool:
    return content_type in INLINE_TYPES


def _looks_like_svg(start: str) -> bool:
    window = start[:2048]
    return window.startswith("<svg") or (window.startswith(("<?xml", "<!doctype svg", "<!--")) and "<svg" in window)


def _as_text(head: bytes) -> str | None:
    """UTF-8 text (a sequence cut by the sniff window is allowed at the end), without NULs."""
    if b"\x00" in head:
        return None
    for cut in range(4):
        try:
            return head[:len(head) - cut].decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:
                return None
    return None
