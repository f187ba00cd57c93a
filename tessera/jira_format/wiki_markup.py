"""Jira wiki markup (the text formatting notation of Jira Server and Data Center, and of Cloud's
REST v2 string bodies) to the CommonMark Tessera stores, for the Jira importer.

Best effort and total: any text converts, malformed markup (an unclosed {code}, stray pipes)
passes through as text. Text that is not markup reads as its author saw it: Markdown's own
characters are escaped, and a single newline inside a paragraph, which Jira shows as a line
break, becomes a hard break.

Two passes. The text is first cut into preformatted blocks ({code}, {noformat}, whose content is
never markup; {html}, whose HTML is converted by wiki_html) and the rest; the rest is read line by line, each line classified once (heading,
list item, table row, quote, rule, container tag or paragraph text) and its inline markup
converted by wiki_inline. Containers ({quote}, bq., {panel}) become Markdown block quotes;
a {panel}'s title leads it in bold.

`attachments` maps an attachment's file name to its URL: `!name.png!` becomes an image and
`[^name.pdf]` a link; an unknown name stays as text. `users` maps a Jira username, or the
account id in `[~accountid:ID]`, to the Markdown of a Tessera mention (markup.mention_text);
an unknown user becomes the plain text `@name`."""

from __future__ import annotations

import re
from collections.abc import Mapping

from tessera.jira_format.wiki_html import html_to_markdown
from tessera.jira_format.wiki_inline import Context, convert_inline, escape_text, fenced

_PREFORMATTED = re.compile(r"\{(code|noformat|html)((?::[^}\n]*)?)\}", re.IGNORECASE)
_CONTAINER_TAG = re.compile(r"\{(quote|panel)((?::[^}\n]*)?)\}", re.IGNORECASE)
_HEADING = re.compile(r"h([1-6])\.(?:\s+|$)(.*)")
_LIST_ITEM = re.compile(r"([*#]+|-)\s+(.*)")
_RULE = re.compile(r"-{4,}")
_QUOTE_LINE = re.compile(r"bq\.(?:\s+|$)(.*)")
_CELL = re.compile(r"(\|\|?)|\[[^\]\n]*\]|\{\{.*?\}\}|![^!\s|][^!\n]*!|\\.")
_LANGUAGE = re.compile(r"[\w+#.-]{1,40}")


def wiki_to_markdown(text: str, *, attachments: Mapping[str, str] | None = None,
                     users: Mapping[str, str] | None = None) -> str:
    if not text:
        return ""
    writer = _Writer(attachments or {}, users or {})
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pos = 0
    for match in _PREFORMATTED.finditer(text):
        if match.start() < pos:
            continue  # an opening tag inside a block already taken
        writer.text(text[pos:match.start()])
        kind = match.group(1).lower()
        closing = re.compile(r"\{" + kind + r"\}", re.IGNORECASE).search(text, match.end())
        end = closing.start() if closing else len(text)
        if kind == "html":
            writer.html(text[match.end():end])
        else:
            writer.code(text[match.end():end], _code_params(match.group(2)) if kind == "code" else (None, None))
        pos = closing.end() if closing else len(text)
    writer.text(text[pos:])
    return "\n".join(writer.lines).strip("\n")


def _code_params(params: str) -> tuple[str | None, str | None]:
    """`{code:java|title=App.java|borderStyle=solid}` -> ("java", "App.java")."""
    language = title = None
    for part in params[1:].split("|"):
        key, equals, value = part.partition("=")
        if not equals and key.strip() and language is None and _LANGUAGE.fullmatch(key.strip()):
            language = key.strip().lower()
        elif key.strip().lower() == "title" and value.strip():
            title = value.strip()
    return language, title


class _Writer:
    """Markdown lines out; remembers the kind and quote depth of the last block so blocks are
    separated only where Markdown would otherwise merge them."""

    def __init__(self, attachments: Mapping[str, str], users: Mapping[str, str]) -> None:
        self.attachments = attachments
        self.users = users
        self.lines: list[str] = []
        self.containers: list[str] = []  # the open {quote}/{panel}, innermost last
        self.depth = 0  # block quote depth: the open containers, plus one inside a bq. line
        self.last: tuple[str, int] | None = None  # (block kind, depth) of the last line written
        self.list_markers: list[str] = []  # the Markdown markers of the open list levels
        self.cell = Context(attachments, users, " ", in_cell=True)
        self.flat = Context(attachments, users, " ")

    # Blocks -------------------------------------------------------------------------------
    def _start(self, kind: str, *, joins: bool = False) -> str:
        """The prefix of a new line of `kind`; a blank line first unless it continues the block."""
        prefix = "> " * self.depth
        if self.last is not None and not (joins and self.last == (kind, self.depth)):
            self.lines.append(("> " * min(self.depth, self.last[1])).rstrip())
        if kind != "list":
            self.list_markers = []
        self.last = (kind, self.depth)
        return prefix

    def _break(self) -> None:
        self.last = None if self.last is None else ("break", self.last[1])

    def code(self, content: str, params: tuple[str | None, str | None]) -> None:
        language, title = params
        if title:
            self.lines.append(self._start("paragraph") + "**" + escape_text(title) + "**")
        content = content.removeprefix("\n")
        if content.endswith("\n"):
            content = content[:-1]
        if content.strip() == "":
            content = content.strip()
        prefix = self._start("code")
        self.lines.extend((prefix + line) if line else prefix.rstrip() for line in fenced(content, language))

    def html(self, fragment: str) -> None:
        lines = html_to_markdown(fragment)
        if lines:
            prefix = self._start("html")
            self.lines.extend((prefix + line) if line.strip() else prefix.rstrip() for line in lines)
            self._break()

    def text(self, chunk: str) -> None:
        if not chunk:
            return
        # Container tags may sit inside a line; each gets a line of its own.
        chunk = _CONTAINER_TAG.sub(lambda m: f"\n{m.group(0)}\n", chunk)
        lines = chunk.split("\n")
        index = 0
        while index < len(lines):
            line = lines[index].strip()
            if line.startswith("|"):
                end = index
                while end < len(lines) and lines[end].strip().startswith("|"):
                    end += 1
                self._table([row.strip() for row in lines[index:end]])
                index = end
                continue
            self._line(line)
            index += 1

    def _line(self, line: str) -> None:
        if not line:
            self._break()
            return
        tag = _CONTAINER_TAG.fullmatch(line)
        if tag:
            self._container(tag.group(1).lower(), tag.group(2))
            return
        heading = _HEADING.match(line)
        if heading:
            body = convert_inline(heading.group(2).strip(), self.flat, at_line_start=False)
            if body.endswith("#"):
                body = body[:-1] + "\\#"
            self.lines.append(self._start("heading") + "#" * int(heading.group(1)) + (" " + body if body else ""))
            return
        if _RULE.fullmatch(line):
            self.lines.append(self._start("rule") + "---")
            return
        item = _LIST_ITEM.match(line)
        if item:
            self._list_item(item.group(1), item.group(2))
            return
        quote = _QUOTE_LINE.match(line)
        if quote:
            self.depth += 1
            self._paragraph_line(quote.group(1).strip(), kind="bq")
            self.depth -= 1
            self._break()
            return
        self._paragraph_line(line)

    def _paragraph_line(self, line: str, *, kind: str = "paragraph") -> None:
        continues = self.last == (kind, self.depth)
        if continues:
            self.lines[-1] += "\\"  # Jira shows a newline inside a paragraph as a line break
        prefix = self._start(kind, joins=True)
        ctx = Context(self.attachments, self.users, "\\\n" + prefix)
        self.lines.append(prefix + convert_inline(line, ctx))

    def _container(self, kind: str, params: str) -> None:
        # A tag closes the innermost container if it is of its kind, else opens one.
        if self.containers and self.containers[-1] == kind:
            self.containers.pop()
            self.depth -= 1
            self._break()
            return
        self.containers.append(kind)
        self._break()
        self.depth += 1
        if kind == "panel":
            title = next((value.strip() for key, _, value in (p.partition("=") for p in params[1:].split("|"))
                          if key.strip().lower() == "title" and value.strip()), None)
            if title:
                self.lines.append(self._start("paragraph") + "**" + escape_text(title) + "**")
                self._break()

    def _list_item(self, markers: str, content: str) -> None:
        if markers == "-":
            markers = "*"
        prefix = self._start("list", joins=True)
        open_levels = self.list_markers[:len(markers) - 1]
        # Jira lets `**` follow a list with no first level; missing levels take the item's kind.
        while len(open_levels) < len(markers) - 1:
            open_levels.append("- " if markers[len(open_levels)] == "*" else "1. ")
        marker = "- " if markers[-1] == "*" else "1. "
        self.list_markers = [*open_levels, marker]
        indent = " " * sum(len(m) for m in open_levels)
        ctx = Context(self.attachments, self.users, "\\\n" + prefix + indent + " " * len(marker))
        body = convert_inline(content.strip(), ctx)
        self.lines.append(f"{prefix}{indent}{marker}{body}".rstrip())

    def _table(self, rows: list[str]) -> None:
        parsed = [_cells(row) for row in rows]
        parsed = [row for row in parsed if row]
        if not parsed:
            return
        width = max(len(row) for row in parsed)
        header = parsed[0] if all(is_head for is_head, _ in parsed[0]) else None
        body = parsed[1:] if header else parsed
        prefix = self._start("table")

        def line(cells: list[str]) -> str:
            cells = cells + [""] * (width - len(cells))
            return prefix + "| " + " | ".join(cells) + " |"

        convert = self._cell_text
        self.lines.append(line([convert(text) for _, text in header] if header else []))
        self.lines.append(prefix + "|" + "---|" * width)
        self.lines.extend(line([convert(text) for _, text in row]) for row in body)
        self._break()

    def _cell_text(self, text: str) -> str:
        return convert_inline(text.strip(), self.cell, at_line_start=False) or " "


def _cells(row: str) -> list[tuple[bool, str]]:
    """`||a||b||` or `|a|[x|y]|` -> [(is_header, text), ...]; pipes inside links, images,
    monospace and escapes do not split."""
    cells: list[tuple[bool, str]] = []
    start = None
    head = False
    for match in _CELL.finditer(row):
        separator = match.group(1)
        if not separator:
            continue
        if start is not None:
            cells.append((head, row[start:match.start()]))
        head = separator == "||"
        start = match.end()
    if start is not None and row[start:].strip():
        cells.append((head, row[start:]))
    return cells
