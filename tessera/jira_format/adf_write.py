"""ADF -> Markdown (the conventions are in adf.py). Blocks become lists of lines, joined by blank
lines; inline nodes become runs of escaped text with marks, opened and closed as a stack so
that adjacent runs sharing a mark share its delimiters."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tessera.jira_format.adf_emoji import emoji_node
from tessera.jira_format.wiki_inline import code_span, escape_line_start, escape_text, fenced, link_destination

PANEL_LABELS = {"info": "Info", "note": "Note", "tip": "Tip", "warning": "Warning", "error": "Error",
                "success": "Success", "custom": "Panel"}
EXPAND_MARK = "▸"
ATTACHMENT_URL = "/v2/attachments/{id}/content"
# Marks Markdown carries, outermost first; code is innermost and written as a code span.
MARK_ORDER = {"link": 0, "strong": 1, "em": 2, "strike": 3}
_DELIMITERS = {"strong": "**", "em": "*", "strike": "~~"}
_EDGE_SPACE = re.compile(r"^(\s*)(.*?)(\s*)$", re.S)
_SAFE_ACCOUNT = re.compile(r"[^()\s\[\]]{1,200}")
_LANGUAGE = re.compile(r"[^\s`]{1,40}")

Node = dict[str, Any]


def write_markdown(doc: Node) -> str:
    return "\n\n".join("\n".join(lines) for lines in _blocks(doc.get("content", []))).strip("\n")


def _blocks(nodes: list[Node]) -> list[list[str]]:
    out: list[list[str]] = []
    previous = None
    inline_run: list[Node] = []
    for node in nodes:
        kind = node.get("type")
        if kind in _INLINE_TYPES:  # inline content where a block belongs: a paragraph of it
            inline_run.append(node)
            continue
        if inline_run:
            out.append(_paragraph(inline_run))
            inline_run = []
        lines = _block(node, previous)
        if lines:
            out.append(lines)
            previous = (kind, _list_delimiter(lines[0]))
    if inline_run:
        out.append(_paragraph(inline_run))
    return [lines for lines in out if lines]


def _block(node: Node, previous: tuple[str, str] | None) -> list[str] | None:
    kind = node.get("type")
    content = node.get("content") or []
    attrs = node.get("attrs") or {}
    if kind == "paragraph":
        return _paragraph(content) or None
    if kind == "heading":
        text = inline_markdown(content, line_breaks=False)
        if text.endswith("#"):
            text = text[:-1] + "\\#"
        return ["#" * int(attrs.get("level", 1)) + (" " + text if text else "")]
    if kind in ("bulletList", "orderedList"):
        return _list(node, previous)
    if kind == "codeBlock":
        language = attrs.get("language")
        language = language if isinstance(language, str) and _LANGUAGE.fullmatch(language) else None
        return fenced(_plain_text(content), language)
    if kind == "blockquote":
        return _quoted(_blocks(content))
    if kind == "rule":
        return ["---"]
    if kind == "table":
        return _table(content)
    if kind == "panel":
        label = PANEL_LABELS.get(str(attrs.get("panelType")), "Panel")
        return _quoted([[f"**{label}:**"], *_blocks(content)])
    if kind in ("expand", "nestedExpand"):
        title = attrs.get("title")
        lead = f"**{EXPAND_MARK} {escape_text(title.strip())}**" if isinstance(title, str) and title.strip() \
            else EXPAND_MARK
        return _quoted([[lead], *_blocks(content)])
    if kind in ("mediaSingle", "mediaGroup"):
        images = [_media(child) for child in content if child.get("type") == "media"]
        return [line for image in images if image for line in (image, "")][:-1] or None
    if kind in ("blockCard", "embedCard"):
        url = attrs.get("url")
        return [_link_to(url)] if isinstance(url, str) and url else None
    # Unknown: its blocks if it has any, else its text.
    if any(child.get("type") not in _INLINE_TYPES for child in content):
        blocks = _blocks(content)
        return [line for block in blocks for line in (*block, "")][:-1] or None
    return _paragraph(content) or None


def _paragraph(content: list[Node]) -> list[str]:
    text = inline_markdown(content)
    return text.split("\n") if text else []


def _quoted(blocks: list[list[str]]) -> list[str]:
    lines = [line for block in blocks for line in (*block, "")][:-1]
    return [f"> {line}" if line else ">" for line in lines] or [">"]


def _list(node: Node, previous: tuple[str, str] | None) -> list[str]:
    kind = node["type"]
    items = [child for child in node.get("content") or [] if isinstance(child, dict)]
    if kind == "bulletList":
        # Two lists in a row would merge into one: the second uses the other bullet.
        bullet = "*" if previous == ("bulletList", "-") else "-"
        markers = [f"{bullet} "] * len(items)
    else:
        start = (node.get("attrs") or {}).get("order", 1)
        # CommonMark reads at most 9 digits: keep every item's number within them.
        start = start if isinstance(start, int) and 0 <= start < 10**9 - len(items) else 1
        delimiter = ")" if previous == ("orderedList", ".") else "."
        markers = [f"{start + index}{delimiter} " for index in range(len(items))]
    item_blocks = [_blocks(item.get("content") or []) for item in items]
    loose = any(len(blocks) > 1 for blocks in item_blocks)
    lines: list[str] = []
    for marker, blocks in zip(markers, item_blocks, strict=True):
        if lines and loose:
            lines.append("")
        body = [line for block in blocks for line in (*block, "")][:-1]
        if not body:
            lines.append(marker.rstrip())
            continue
        lines.append(marker + body[0])
        lines.extend((" " * len(marker) + line) if line else "" for line in body[1:])
    return lines


def _list_delimiter(first_line: str) -> str:
    """The bullet or the number's delimiter a list's first line uses."""
    match = re.match(r"[0-9]*([-*.)])", first_line)
    return match.group(1) if match else ""


def _table(rows: list[Node]) -> list[str]:
    grid = [[cell for cell in row.get("content") or [] if isinstance(cell, dict)] for row in rows]
    grid = [row for row in grid if row]
    if not grid:
        return []
    width = max(len(row) for row in grid)
    header = grid[0] if all(cell.get("type") == "tableHeader" for cell in grid[0]) else []
    body = grid[1:] if header else grid

    def line(cells: list[Node]) -> str:
        texts = [_cell(cell) for cell in cells] + [""] * (width - len(cells))
        return "| " + " | ".join(texts) + " |"

    return [line(header), "|" + "---|" * width, *(line(row) for row in body)]


def _cell(cell: Node) -> str:
    """A cell's blocks as one line: GFM cells hold inline content only."""
    parts = []
    for block in cell.get("content") or []:
        inline = (block.get("content") or []) if block.get("type") in ("paragraph", "heading") else [block]
        parts.append(inline_markdown(inline, line_breaks=False, in_cell=True))
    return " ".join(part for part in parts if part)


def _media(media: Node) -> str | None:
    attrs = media.get("attrs") or {}
    if attrs.get("type") == "external" and isinstance(attrs.get("url"), str):
        url = attrs["url"]
    elif isinstance(attrs.get("id"), str | int) and str(attrs["id"]):
        url = ATTACHMENT_URL.format(id=str(attrs["id"]))
    else:
        return None
    alt = attrs.get("alt") if isinstance(attrs.get("alt"), str) else ""
    return f"![{escape_text(alt)}]({link_destination(url)})"


def _link_to(url: str) -> str:
    if re.fullmatch(r"(?i:https?|mailto|ftp):[^\s<>]*", url):
        return f"<{url}>"
    return f"[{escape_text(url)}]({link_destination(url)})"


# Inline -------------------------------------------------------------------------------------
_INLINE_TYPES = {"text", "hardBreak", "mention", "emoji", "inlineCard", "status", "date", "mediaInline",
                 "placeholder", "inlineExtension"}


def inline_runs(content: list[Node]) -> list[Node]:
    """The inline nodes as Markdown can carry them: status, date and cards as (linked) text,
    only Markdown's marks, spaces at the edges of emphasis moved outside it, adjacent text with
    the same marks merged, no spaces at the start or end of a line."""
    runs: list[Node] = []
    for node in content:
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        attrs = node.get("attrs") or {}
        if kind == "text":
            marks = _marks(node.get("marks") or [])
            text = node.get("text", "").replace("\n", " ")
            if any(mark["type"] in _DELIMITERS for mark in marks) and "code" not in {m["type"] for m in marks}:
                lead, middle, trail = _EDGE_SPACE.match(text).groups()
                outside = [mark for mark in marks if mark["type"] == "link"]
                for piece, piece_marks in ((lead, outside), (middle, marks), (trail, outside)):
                    if piece:
                        runs.append(_text(piece, piece_marks))
            else:
                runs.append(_text(text, marks))
        elif kind == "hardBreak":
            runs.append({"type": "hardBreak"})
        elif kind == "mention":
            label = re.sub(r"[\[\]\n]+", " ", str(attrs.get("text") or "").removeprefix("@")).strip()
            runs.append({"type": "mention", "attrs": {"id": str(attrs.get("id")), "text": "@" + (label or str(attrs.get("id")))}})
        elif kind == "emoji":
            runs.append(_emoji(attrs))
        elif kind == "inlineCard":
            url = attrs.get("url")
            if isinstance(url, str) and url:
                runs.append(_text(url, [{"type": "link", "attrs": {"href": url}}]))
        elif kind == "status" and attrs.get("text"):
            runs.append(_text(str(attrs["text"]), []))
        elif kind == "date":
            runs.append(_text(_date_text(attrs.get("timestamp")), []))
        else:
            text = _plain_text(node.get("content") or []) or str(attrs.get("text") or "")
            if text:
                runs.append(_text(text, []))
    return _tidy(runs)


def _text(text: str, marks: list[dict]) -> Node:
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = marks
    return node


def _marks(marks: list[dict]) -> list[dict]:
    kept: dict[str, dict] = {}
    for mark in marks:
        kind = mark.get("type") if isinstance(mark, dict) else None
        if kind in MARK_ORDER or kind == "code":
            attrs = mark.get("attrs") or {}
            if kind == "link":
                link_attrs = {"href": attrs.get("href", "")}
                if isinstance(attrs.get("title"), str) and attrs["title"]:
                    link_attrs["title"] = attrs["title"]
                kept[kind] = {"type": "link", "attrs": link_attrs}
            else:
                kept[kind] = {"type": kind}
    if "code" in kept:  # code takes only a link beside it
        kept = {kind: mark for kind, mark in kept.items() if kind in ("code", "link")}
    return sorted(kept.values(), key=lambda mark: MARK_ORDER.get(mark["type"], 9))


def _emoji(attrs: dict) -> Node:
    text = attrs.get("text") if isinstance(attrs.get("text"), str) else ""
    node = emoji_node(text, str(attrs.get("shortName") or ""))
    # Without a character (a site's custom emoji) it is written, and read back, as text.
    return node if "text" in node["attrs"] else _text(node["attrs"]["shortName"], [])


def _date_text(timestamp: Any) -> str:
    try:
        return datetime.fromtimestamp(int(timestamp) / 1000, UTC).date().isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return str(timestamp or "")


def _tidy(runs: list[Node]) -> list[Node]:
    """Merge text with equal marks; trim spaces at line edges (Markdown drops them)."""
    merged: list[Node] = []
    for run in runs:
        if run["type"] == "text" and merged and merged[-1]["type"] == "text" \
                and merged[-1].get("marks") == run.get("marks"):
            merged[-1] = _text(merged[-1]["text"] + run["text"], run.get("marks") or [])
        else:
            merged.append(run)
    for index, run in enumerate(merged):
        if run["type"] != "text" or "code" in {mark["type"] for mark in run.get("marks") or []}:
            continue
        text = run["text"]
        if index == 0 or merged[index - 1]["type"] == "hardBreak":
            text = text.lstrip()
        if index == len(merged) - 1 or merged[index + 1]["type"] == "hardBreak":
            text = text.rstrip()
        merged[index] = _text(text, run.get("marks") or [])
    tidy = [run for run in merged if run["type"] != "text" or run["text"]]
    while tidy and tidy[-1]["type"] == "hardBreak":
        tidy.pop()  # Markdown has no break at the end of a paragraph
    while tidy and tidy[0]["type"] == "hardBreak":
        tidy.pop(0)
    return tidy if len(tidy) == len(merged) or not tidy else _tidy(tidy)


def _plain_text(content: list[Node]) -> str:
    parts = []
    for node in content:
        if not isinstance(node, dict):
            continue
        if node.get("type") == "text":
            parts.append(str(node.get("text", "")))
        elif node.get("type") == "hardBreak":
            parts.append("\n")
        else:
            parts.append(_plain_text(node.get("content") or []))
    return "".join(parts)


def inline_markdown(content: list[Node], *, line_breaks: bool = True, in_cell: bool = False) -> str:
    out: list[str] = []
    active: list[dict] = []

    def close_to(depth: int) -> None:
        while len(active) > depth:
            mark = active.pop()
            out.append(_close(mark))

    for run in inline_runs(content):
        kind = run["type"]
        if kind == "hardBreak":
            close_to(0)
            out.append("\\\n" if line_breaks else " ")
            continue
        marks = run.get("marks") or []
        outer = [mark for mark in marks if mark["type"] != "code"]
        common = 0
        while common < min(len(active), len(outer)) and active[common] == outer[common]:
            common += 1
        close_to(common)
        for mark in outer[common:]:
            out.append("[" if mark["type"] == "link" else _DELIMITERS[mark["type"]])
            active.append(mark)
        if kind == "text":
            if len(outer) < len(marks):  # code
                span = code_span(run["text"])
                out.append(span.replace("|", "\\|") if in_cell else span)
            else:
                out.append(escape_text(run["text"], in_cell=in_cell))
        elif kind == "mention":
            label = run["attrs"]["text"].removeprefix("@")
            account = run["attrs"]["id"]
            out.append(f"@[{label}](account:{account})" if _SAFE_ACCOUNT.fullmatch(account)
                       else escape_text("@" + label, in_cell=in_cell))
        elif kind == "emoji":
            out.append(run["attrs"].get("text") or escape_text(run["attrs"]["shortName"], in_cell=in_cell))
    close_to(0)
    text = "".join(out)
    return "\n".join(escape_line_start(line) for line in text.split("\n"))


def _close(mark: dict) -> str:
    if mark["type"] != "link":
        return _DELIMITERS[mark["type"]]
    attrs = mark["attrs"]
    title = attrs.get("title")
    suffix = ' "' + title.replace("\\", "\\\\").replace('"', '\\"') + '"' if title else ""
    return f"]({link_destination(attrs['href']) if attrs['href'] else '<>'}{suffix})"
