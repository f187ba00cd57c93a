"""A message body as the text an issue or comment keeps: HTML converted to plain text, then the
quoted thread and the signature cut off (mail-parser-reply, which knows the "On ... wrote:"
lines of the common clients in a dozen languages)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage

# Languages whose reply headers ("On ... wrote:", "Am ... schrieb:") are recognised.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs"]
_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "hr", "section", "article", "header", "footer"})
_SKIPPED = frozenset({"script", "style", "head", "title"})


class _TextOfHtml(HTMLParser):
    """Block elements end lines, list items get a bullet, quoted blocks get '> ' (so the reply
    stripper recognises them), scripts and styles vanish."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self.parts.append("\n")
        elif tag in _BLOCKS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data)
        if self.quote_depth:
            text = text.replace("\n", "\n" + "> " * self.quote_depth)
            if not self.parts or self.parts[-1].endswith("\n"):
                text = "> " * self.quote_depth + text.lstrip()
        self.parts.append(text)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]  # entities already decoded
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def latest_reply(text: str) -> str:
    """The newest part of a message: without the quoted earlier messages and the sender's signature.
    A message that is nothing but quotes keeps its text (better too much than nothing)."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return ""
    # keep_hyphen_lists: a "- item" list is the message's content, not a signature.
    message = EmailMessage(text=text, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True).read()
    if not message.replies:
        return text
    body = (message.replies[0].body or "").strip()
    return body or text
