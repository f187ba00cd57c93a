"""The HTML inside Jira's {html} macro to Markdown. Older Jira sites imported from other
trackers hold whole descriptions as {html}<div><p>...</p></div>{html} (about 11,000 of the
134,000 texts in the Appcelerator data), so the common tags are converted: paragraphs, line
breaks, headings, lists, pre/code, links, images, emphasis, quotes and rules. Other tags keep
their text. The standard library's HTMLParser tolerates broken HTML; nothing here raises."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tessera.jira_format.wiki_inline import code_span, escape_line_start, escape_text, fenced, link_destination

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre", "blockquote", "hr", "table",
           "tr", "dl", "dt", "dd"}
_MARKS = {"strong": "**", "b": "**", "em": "_", "i": "_", "strike": "~~", "s": "~~", "del": "~~"}
_SPACES = re.compile(r"\s+")
_SAFE_URL = re.compile(r"(?:https?://|mailto:|/|#)", re.IGNORECASE)


def html_to_markdown(fragment: str) -> list[str]:
    """The Markdown lines for an HTML fragment."""
    converter = _Converter()
    try:
        converter.feed(fragment)
        converter.close()
    except Exception:  # noqa: BLE001 - HTMLParser is lenient; a best-effort converter must not fail the import
        pass
    converter.flush()
    return converter.lines


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.inline: list[str] = []
        self.lists: list[str] = []  # "- " or "1. " per open list
        self.item_started = False  # the current list item's marker is written
        self.items = 0  # list items written since the innermost list opened: the next one is tight
        self.quote = 0
        self.emitted_quote = 0  # the quote depth of the last block written
        self.heading = 0
        self.pre: list[str] | None = None
        self.pre_language = ""
        self.links: list[str | None] = []
        self.code = 0

    # Output ------------------------------------------------------------------------------
    def _prefix(self) -> str:
        return "> " * self.quote

    def _emit(self, lines: list[str], *, tight: bool = False) -> None:
        if self.lines and not tight:
            self.lines.append(("> " * min(self.quote, self.emitted_quote)).rstrip())
        self.lines.extend(lines)
        self.emitted_quote = self.quote

    def flush(self) -> None:
        text = "".join(self.inline).replace("\0", "").strip(" ")
        self.inline = []
        if not text.strip():
            return
        parts = [escape_line_start(part.strip(" ")) for part in text.split("\n") if part.strip(" ")]
        if not parts:
            return
        prefix = self._prefix()
        if self.heading:
            self._emit([prefix + "#" * self.heading + " " + " ".join(parts)])
            return
        indent = ""
        tight = False
        if self.lists:
            indent = " " * sum(len(marker) for marker in self.lists[:-1])
            if not self.item_started:
                indent, tight = indent + self.lists[-1], self.items > 0
                self.item_started = True
                self.items += 1
            else:
                indent += " " * len(self.lists[-1])
        continuation = prefix + " " * len(indent)
        self._emit([prefix + indent + ("\\\n" + continuation).join(parts)], tight=tight)

    # Parser callbacks ----------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.pre is not None:
            if tag == "code":
                self.pre_language = _language(dict(attrs).get("class"))
            elif tag == "br":
                self.pre.append("\n")
            return
        if tag in _BLOCKS:
            self.flush()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = int(tag[1])
        elif tag in ("ul", "ol"):
            self.lists.append("- " if tag == "ul" else "1. ")
            self.item_started, self.items = True, 0
        elif tag == "li":
            self.item_started = False
        elif tag == "pre":
            self.pre, self.pre_language = [], ""
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "hr":
            self._emit([self._prefix() + "---"])
        elif tag == "br":
            self.inline.append("\n")
        elif tag in ("td", "th"):
            self.inline.append(" ")
        elif tag in _MARKS:
            self.inline.append(_MARKS[tag])
        elif tag == "code":
            self.code += 1
            self.inline.append("\0")  # where the code span starts; its text is gathered raw
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self.links.append(href if _SAFE_URL.match(href) else None)
            if self.links[-1]:
                self.inline.append("[")
        elif tag == "img":
            values = dict(attrs)
            src = (values.get("src") or "").strip()
            if _SAFE_URL.match(src):
                alt = escape_text(values.get("alt") or src.rsplit("/", 1)[-1])
                self.inline.append(f"![{alt}]({link_destination(src)})")

    def handle_endtag(self, tag: str) -> None:
        if self.pre is not None:
            if tag == "pre":
                content = "".join(self.pre).strip("\n")
                self.pre = None
                self._emit([self._prefix() + line if line else self._prefix().rstrip()
                            for line in fenced(content, self.pre_language)])
            return
        if tag in _BLOCKS:
            self.flush()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = 0
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.item_started = True
        elif tag == "blockquote" and self.quote:
            self.quote -= 1
        elif tag in _MARKS:
            if self.inline and self.inline[-1] == _MARKS[tag]:
                self.inline.pop()  # nothing between the marks: `****` would be a rule
            else:
                self.inline.append(_MARKS[tag])
        elif tag == "code" and self.code:
            self.code -= 1
            start = max(index for index, part in enumerate(self.inline) if part == "\0") \
                if "\0" in self.inline else len(self.inline)
            raw = "".join(self.inline[start + 1:])
            self.inline[start:] = [code_span(raw) if raw.strip() else raw]
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.inline.append(f"]({link_destination(href)})")

    def handle_data(self, data: str) -> None:
        if self.pre is not None:
            self.pre.append(data)
        elif self.code:
            self.inline.append(_SPACES.sub(" ", data))
        else:
            self.inline.append(escape_text(_SPACES.sub(" ", data)))


def _language(css_class: str | None) -> str:
    """`<code class="objc">` or `class="language-js"` -> the fence's language."""
    word = (css_class or "").split(" ", 1)[0].removeprefix("language-")
    return word if re.fullmatch(r"[\w+#.-]{1,40}", word) else ""
